/** The object does not exist (never written, deleted, or its upload was aborted). */
export class BlobNotFoundError extends Error {
  constructor(readonly key: string) {
    super(`blob not found: ${key}`);
    this.name = "BlobNotFoundError";
  }
}

/** A body went over its byte limit; nothing was stored. */
export class BlobTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`blob is larger than ${maxBytes} bytes`);
    this.name = "BlobTooLargeError";
  }
}

/** A key or prefix outside the key grammar (see keys.ts); it never reaches a path or a bucket. */
export class InvalidBlobKeyError extends Error {
  constructor(readonly key: string) {
    super(`invalid blob key: ${JSON.stringify(key.slice(0, 200))}`);
    this.name = "InvalidBlobKeyError";
  }
}
