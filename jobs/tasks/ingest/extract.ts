import { blobKey } from "../../../shared/blob/index.ts";
import type { ContentDeps } from "../../../shared/content-deps.ts";
import { completeStage, deletedMeanwhile } from "../../../shared/documents/stages.ts";
import { extractDocument } from "../../../shared/text/extract.ts";
import { sniffDocument } from "../../../shared/text/sniff.ts";
import { defineTask } from "../../define-task.ts";
import { runStage } from "./run-stage.ts";

/** Sniffs the upload by content, extracts its text, and stores the canonical text (JSON) as a blob. */
export function extractTask(deps: ContentDeps) {
  const { config } = deps;
  return defineTask(deps, "ingest:extract", (payload, helpers) =>
    runStage(deps, "extract", payload, helpers, async (document) => {
      const bytes = await deps.blobStore.getBytes(document.blob_key, config.UPLOAD_LIMIT_BYTES);
      const sniffed = await sniffDocument(bytes);
      const extracted = await extractDocument(bytes, sniffed.kind, {
        maxUnpackedBytes: config.EXTRACT_MAX_UNPACKED_BYTES,
        maxEntries: config.EXTRACT_MAX_ENTRIES,
      });
      const canonicalKey = blobKey(document.tenant_id, "canonical", document.id, "text.json");
      await deps.blobStore.put(canonicalKey, Buffer.from(JSON.stringify(extracted)), {
        contentType: "application/json",
      });
      const status = await completeStage(
        deps.db,
        document,
        "extract",
        config.INGEST_MAX_ATTEMPTS,
        undefined,
        {
          source_mime: sniffed.mime,
          canonical_key: canonicalKey,
        },
      );
      if (deletedMeanwhile(status)) await deps.blobStore.delete(canonicalKey);
    }),
  );
}
