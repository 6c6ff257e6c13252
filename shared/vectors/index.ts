import { QdrantClient } from "@qdrant/js-client-rest";
import type { Kysely } from "kysely";
import type { DB } from "../../db/types.ts";
import type { Config } from "../config/index.ts";
import type { Logger } from "../logger.ts";
import { createEmbeddedVectorIndex } from "./embedded-index.ts";
import type { VectorIndex } from "./port.ts";
import { createQdrantVectorIndex } from "./qdrant-index.ts";

export { pointId } from "./point-id.ts";
export type { VectorFilter, VectorHit, VectorIndex, VectorPoint } from "./port.ts";

/** Qdrant when QDRANT_URL is set, otherwise exact search over the vectors in Postgres. */
export function createVectorIndex(config: Config, db: Kysely<DB>, log: Logger): VectorIndex {
  const indexLog = log.child({ component: "vector-index" });
  if (!config.QDRANT_URL) return createEmbeddedVectorIndex(db, indexLog);
  const client = new QdrantClient({
    url: config.QDRANT_URL,
    apiKey: config.QDRANT_API_KEY,
    checkCompatibility: false,
  });
  return createQdrantVectorIndex(client, indexLog);
}
