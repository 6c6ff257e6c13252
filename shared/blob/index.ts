import { join } from "node:path";
import type { Config } from "../config/index.ts";
import type { Logger } from "../logger.ts";
import { createFilesystemBlobStore } from "./filesystem.ts";
import type { BlobStore } from "./port.ts";
import { createS3BlobStore } from "./s3.ts";
import { loadBlobSigningSecret } from "./signing-secret.ts";

export { BlobNotFoundError, BlobTooLargeError, InvalidBlobKeyError } from "./errors.ts";
export { type BlobKind, blobKey, blobPrefix, parseBlobKey } from "./keys.ts";
export type { BlobStore } from "./port.ts";

type BlobConfig = Pick<
  Config,
  | "DATA_DIR"
  | "PORT"
  | "PUBLIC_BASE_URL"
  | "BLOB_SIGNING_SECRET"
  | "S3_ENDPOINT"
  | "S3_REGION"
  | "S3_BUCKET"
  | "S3_ACCESS_KEY_ID"
  | "S3_SECRET_ACCESS_KEY"
  | "S3_FORCE_PATH_STYLE"
>;

/** S3 when `S3_BUCKET` is set (the bucket is created if missing), otherwise files under DATA_DIR/blobs. */
export async function createBlobStore(config: BlobConfig, log: Logger): Promise<BlobStore> {
  if (config.S3_BUCKET) {
    const { S3_ACCESS_KEY_ID: accessKeyId, S3_SECRET_ACCESS_KEY: secretAccessKey } = config;
    if (Boolean(accessKeyId) !== Boolean(secretAccessKey)) {
      throw new Error("S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY must be set together");
    }
    const store = await createS3BlobStore({
      bucket: config.S3_BUCKET,
      region: config.S3_REGION,
      endpoint: config.S3_ENDPOINT,
      credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
      forcePathStyle: config.S3_FORCE_PATH_STYLE,
      log,
    });
    log.info({ bucket: config.S3_BUCKET, endpoint: config.S3_ENDPOINT ?? "aws" }, "blob store: s3");
    return store;
  }
  if (config.S3_ENDPOINT) throw new Error("S3_ENDPOINT is set but S3_BUCKET is not");
  const root = join(config.DATA_DIR, "blobs");
  const store = await createFilesystemBlobStore({
    root,
    secret: loadBlobSigningSecret(config.BLOB_SIGNING_SECRET, join(config.DATA_DIR, "blob-signing-secret")),
    publicBaseUrl: config.PUBLIC_BASE_URL ?? `http://127.0.0.1:${config.PORT}`,
  });
  log.info({ root }, "blob store: filesystem");
  return store;
}
