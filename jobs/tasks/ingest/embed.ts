import type { ContentDeps } from "../../../shared/content-deps.ts";
import { completeStage, stillInStage } from "../../../shared/documents/stages.ts";
import { embedAndStore } from "../../../shared/embeddings/embed-and-store.ts";
import { defineTask } from "../../define-task.ts";
import { runStage } from "./run-stage.ts";

class StageAbandoned extends Error {}

/** Embeds the chunks whose (model, content hash) has no vector yet; checks for a cancel between slices. */
export function embedTask(deps: ContentDeps) {
  return defineTask(deps, "ingest:embed", (payload, helpers) =>
    runStage(deps, "embed", payload, helpers, async (document) => {
      const items = await deps.db
        .selectFrom("chunks")
        .select(["content_hash as contentHash", "text"])
        .where("document_id", "=", document.id)
        .orderBy("idx")
        .execute();
      try {
        await embedAndStore(deps.db, deps.embedder, items, {
          // One round of the embedder's parallel batches per slice, so a cancel is seen within a round.
          sliceSize: deps.config.EMBEDDINGS_BATCH_SIZE * deps.config.EMBEDDINGS_CONCURRENCY,
          onProgress: async () => {
            if (!(await stillInStage(deps.db, document.id, "embed"))) throw new StageAbandoned();
          },
        });
      } catch (error) {
        if (error instanceof StageAbandoned) return;
        throw error;
      }
      await completeStage(deps.db, document, "embed", deps.config.INGEST_MAX_ATTEMPTS);
    }),
  );
}
