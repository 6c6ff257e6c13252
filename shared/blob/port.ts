import type { Readable } from "node:stream";
import type { BlobTokenPayload } from "./signed-url.ts";

export type BlobBody = Readable | Uint8Array;

export interface PutOptions {
  contentType?: string;
  /** Over this many bytes the upload fails with BlobTooLargeError and nothing is stored. */
  maxBytes?: number;
}

export interface PutResult {
  size: number;
  /** Hex SHA-256 of the stored bytes, computed while streaming. */
  sha256: string;
}

export interface SignedPutOptions {
  expiresInSeconds: number;
  /** When given, the client must send exactly this Content-Type (it is signed). */
  contentType?: string;
  /**
   * Enforced while streaming by Quarry's own blob route (filesystem store). A presigned S3 PUT cannot
   * limit its size: whoever completes the upload must `head()` the key and reject (and delete) it
   * when it is larger.
   */
  maxBytes: number;
}

export interface SignedPut {
  url: string;
  method: "PUT";
  /** Headers the client must send with the PUT. */
  headers: Record<string, string>;
}

export interface SignedGetOptions {
  expiresInSeconds: number;
  /** Offered to the browser as the attachment's file name (never used as a key or path). */
  downloadName?: string;
}

/**
 * Raw uploads, canonical texts and artifacts. Keys come from `blobKey()`; every method refuses a key
 * outside the grammar with InvalidBlobKeyError.
 */
export interface BlobStore {
  readonly kind: "s3" | "filesystem";
  /** Streams `body` in (never buffered whole); a failed put leaves no object and no partial file. */
  put(key: string, body: BlobBody, options?: PutOptions): Promise<PutResult>;
  /** Throws BlobNotFoundError when the key does not exist. */
  get(key: string): Promise<Readable>;
  /** Whole object in memory; BlobTooLargeError over `maxBytes`. */
  getBytes(key: string, maxBytes?: number): Promise<Buffer>;
  head(key: string): Promise<{ size: number } | null>;
  /**
   * Moves the object at `from` to `to`, replacing what `to` held; BlobNotFoundError when `from` does not
   * exist. Whoever can still write `from` (a signed PUT URL) can no longer change `to`.
   */
  move(from: string, to: string): Promise<void>;
  /** Idempotent: deleting a missing key succeeds. */
  delete(key: string): Promise<void>;
  /**
   * Deletes the key `prefix` and every key under `prefix/` (a tenant, a tenant's kind, or one id);
   * returns how many objects were removed. `t/a/uploads/d1` never touches `t/a/uploads/d12`.
   */
  deletePrefix(prefix: string): Promise<number>;
  signedPutUrl(key: string, options: SignedPutOptions): Promise<SignedPut>;
  signedGetUrl(key: string, options: SignedGetOptions): Promise<string>;
  /**
   * Checks a token from a URL Quarry serves itself (`/api/rag/blobs/<token>`); null when it is invalid,
   * expired, or for another operation. Always null for S3, whose signed URLs point at S3.
   */
  verifyUrlToken(token: string, op: BlobTokenPayload["op"]): BlobTokenPayload | null;
  /** Readiness: the bucket or directory is reachable. */
  check(): Promise<void>;
  close(): Promise<void>;
}
