import { randomBytes } from "node:crypto";
import { QdrantClient } from "@qdrant/js-client-rest";
import { describe } from "vitest";
import { createLogger } from "../../shared/logger.ts";
import { createQdrantVectorIndex } from "../../shared/vectors/qdrant-index.ts";
import { vectorIndexContract } from "./vector-index-contract.ts";

const qdrantUrl = process.env.QDRANT_URL;
const log = createLogger("silent");

if (!qdrantUrl) {
  console.warn(
    "\n⚠ SKIPPED: Qdrant vector index contract suite — QDRANT_URL is not set, so the Qdrant adapter is NOT " +
      "tested in this run. Start Qdrant and set QDRANT_URL (e.g. http://127.0.0.1:6333) to run it.\n",
  );
}

(qdrantUrl ? describe : describe.skip)("qdrant vector index", () => {
  vectorIndexContract(async () => {
    const url = qdrantUrl ?? "";
    const apiKey = process.env.QDRANT_API_KEY;
    const client = () => new QdrantClient({ url, apiKey, checkCompatibility: false });
    const admin = client();
    const prefix = `quarry_test_${randomBytes(4).toString("hex")}_`;
    return {
      index: createQdrantVectorIndex(client(), log),
      second: createQdrantVectorIndex(client(), log),
      prefix,
      async close() {
        const { aliases } = await admin.getAliases();
        const ours = aliases.filter((a) => a.alias_name.startsWith(prefix));
        if (ours.length > 0) {
          await admin.updateCollectionAliases({
            actions: ours.map((a) => ({ delete_alias: { alias_name: a.alias_name } })),
          });
        }
        const { collections } = await admin.getCollections();
        for (const c of collections) if (c.name.startsWith(prefix)) await admin.deleteCollection(c.name);
      },
    };
  });
});
