import type { ContentDeps } from "../../../shared/content-deps.ts";
import { completeStage } from "../../../shared/documents/stages.ts";
import { chunkDocument } from "../../../shared/text/chunk.ts";
import type { ExtractedDocument } from "../../../shared/text/types.ts";
import { defineTask } from "../../define-task.ts";
import { runStage } from "./run-stage.ts";

const INSERT_BATCH = 500;

/** Splits the canonical text and replaces the document's chunks in the transaction that ends the stage. */
export function chunkTask(deps: ContentDeps) {
  const { config } = deps;
  return defineTask(deps, "ingest:chunk", (payload, helpers) =>
    runStage(deps, "chunk", payload, helpers, async (document) => {
      if (!document.canonical_key) throw new Error("document has no canonical text; retry from extract");
      const extracted = JSON.parse(
        (await deps.blobStore.getBytes(document.canonical_key)).toString("utf8"),
      ) as ExtractedDocument;
      const chunks = chunkDocument(extracted, {
        maxTokens: config.CHUNK_MAX_TOKENS,
        overlapTokens: config.CHUNK_OVERLAP_TOKENS,
      });
      const tenant = await deps.db
        .selectFrom("tenants")
        .select("text_search_language")
        .where("id", "=", document.tenant_id)
        .executeTakeFirst();
      const language = tenant?.text_search_language ?? config.TEXT_SEARCH_LANGUAGE;
      await completeStage(deps.db, document, "chunk", config.INGEST_MAX_ATTEMPTS, async (trx) => {
        await trx.deleteFrom("chunks").where("document_id", "=", document.id).execute();
        for (let start = 0; start < chunks.length; start += INSERT_BATCH) {
          await trx
            .insertInto("chunks")
            .values(
              chunks.slice(start, start + INSERT_BATCH).map((chunk) => ({
                document_id: document.id,
                tenant_id: document.tenant_id,
                idx: chunk.idx,
                text: chunk.text,
                content_hash: chunk.contentHash,
                token_count: chunk.tokenCount,
                page: chunk.page,
                meta: chunk.meta,
                language,
              })),
            )
            .execute();
        }
      });
    }),
  );
}
