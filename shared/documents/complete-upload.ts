import type { Kysely } from "kysely";
import type { DB, Document } from "../../db/types.ts";
import type { Scope } from "../auth/principal.ts";
import { BlobNotFoundError, type BlobStore, BlobTooLargeError } from "../blob/index.ts";
import type { PutResult } from "../blob/port.ts";
import { ByteMeter, chunksOf } from "../blob/streams.ts";
import type { Logger } from "../logger.ts";
import { abandonUpload } from "./abandon-upload.ts";
import { getDocument } from "./service.ts";
import { type AcceptResult, acceptUpload } from "./upload.ts";
import { duplicateOf, emptyFile, fileTooLarge, notUploading, uploadMissing } from "./upload-errors.ts";

/** Size and SHA-256 of a stored blob, read as a stream; BlobTooLargeError past `maxBytes`. */
async function hashBlob(store: BlobStore, key: string, maxBytes: number): Promise<PutResult> {
  const meter = new ByteMeter(maxBytes);
  for await (const chunk of chunksOf(await store.get(key))) meter.add(chunk);
  return meter.result();
}

/**
 * Finishes an upload whose bytes arrived by a signed URL (used by the `complete` route and by maintenance
 * for clients that never called it): the object must exist, hold at least one byte and at most the limit
 * — a presigned S3 PUT cannot be size-limited, so the limit is enforced here. A refused upload is removed
 * (row and blob); identical content already in the tenant is a 409 naming it.
 */
export async function completeSignedUpload(
  ports: { db: Kysely<DB>; blobStore: BlobStore; log: Logger },
  scope: Scope,
  document: Document,
  limits: { maxBytes: number; maxAttempts: number },
): Promise<Document> {
  if (document.status !== "uploading") throw notUploading(document.status);
  const head = await ports.blobStore.head(document.blob_key);
  if (!head) throw uploadMissing();
  if (head.size === 0 || head.size > limits.maxBytes) {
    await abandonUpload(ports, scope, document);
    throw head.size === 0 ? emptyFile() : fileTooLarge(limits.maxBytes);
  }
  let stored: PutResult;
  try {
    stored = await hashBlob(ports.blobStore, document.blob_key, limits.maxBytes);
  } catch (error) {
    if (error instanceof BlobNotFoundError) throw uploadMissing();
    if (!(error instanceof BlobTooLargeError)) throw error;
    await abandonUpload(ports, scope, document);
    throw fileTooLarge(limits.maxBytes);
  }
  let result: AcceptResult;
  try {
    result = await acceptUpload(
      ports.db,
      scope,
      document.id,
      { sizeBytes: stored.size, sha256: stored.sha256 },
      limits.maxAttempts,
    );
  } catch (error) {
    // A concurrent complete won: say where the document is now.
    const current = await getDocument(ports.db, scope, document.id);
    throw current.status !== "uploading" ? notUploading(current.status) : error;
  }
  if (result.kind === "duplicate") {
    await abandonUpload(ports, scope, document);
    throw duplicateOf(result.existing);
  }
  return result.document;
}
