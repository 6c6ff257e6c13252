import type { Kysely } from "kysely";
import type { DB, Document } from "../../db/types.ts";
import type { Scope } from "../auth/principal.ts";
import { BlobNotFoundError, type BlobStore, BlobTooLargeError } from "../blob/index.ts";
import type { PutResult } from "../blob/port.ts";
import { ByteMeter, chunksOf } from "../blob/streams.ts";
import type { Logger } from "../logger.ts";
import { abandonUpload } from "./abandon-upload.ts";
import { getDocument } from "./service.ts";
import { type AcceptResult, acceptUpload, signedUploadKey } from "./upload.ts";
import {
  duplicateOf,
  emptyFile,
  fileTooLarge,
  notUploading,
  sizeMismatch,
  uploadMissing,
} from "./upload-errors.ts";

/** Size and SHA-256 of a stored blob, read as a stream; BlobTooLargeError past `maxBytes`. */
async function hashBlob(store: BlobStore, key: string, maxBytes: number): Promise<PutResult> {
  const meter = new ByteMeter(maxBytes);
  for await (const chunk of chunksOf(await store.get(key))) meter.add(chunk);
  return meter.result();
}

type Ports = { db: Kysely<DB>; blobStore: BlobStore; log: Logger };

/** An empty file or one over the limit is removed (row and blobs) and refused. */
async function refuseBadSize(ports: Ports, scope: Scope, document: Document, size: number, maxBytes: number) {
  if (size > 0 && size <= maxBytes) return;
  await abandonUpload(ports, scope, document);
  throw size === 0 ? emptyFile() : fileTooLarge(maxBytes);
}

/**
 * Finishes an upload whose bytes arrived by a signed URL (used by the `complete` route and by maintenance
 * for clients that never called it): the object must exist, hold at least one byte and at most the limit
 * — a presigned S3 PUT cannot be size-limited, so the limit is enforced here — and as many as the client
 * declared, if it did. The bytes are moved to the document's blob before they are hashed, out of the
 * signed URL's reach. A refused upload is removed (row and blobs); identical content already in the
 * tenant is a 409 naming it.
 */
export async function completeSignedUpload(
  ports: Ports,
  scope: Scope,
  document: Document,
  limits: { maxBytes: number; maxAttempts: number },
): Promise<Document> {
  if (document.status !== "uploading") throw notUploading(document.status);
  const incoming = signedUploadKey(document);
  const pending = await ports.blobStore.head(incoming);
  if (pending) {
    // Refused before the move, so an oversized object is never copied.
    await refuseBadSize(ports, scope, document, pending.size, limits.maxBytes);
    await ports.blobStore.move(incoming, document.blob_key).catch((error: unknown) => {
      // A concurrent complete moved it first.
      if (!(error instanceof BlobNotFoundError)) throw error;
    });
  }
  // Also what an earlier complete moved and did not get to accept.
  const head = await ports.blobStore.head(document.blob_key);
  if (!head) throw uploadMissing();
  await refuseBadSize(ports, scope, document, head.size, limits.maxBytes);
  // The upload stays open: the client may PUT the right file and complete again.
  const declared = document.declared_size_bytes;
  if (declared !== null && head.size !== declared) throw sizeMismatch(declared, head.size);
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
