import { Readable } from "node:stream";
import {
  AbortMultipartUploadCommand,
  type BucketLocationConstraint,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { Logger } from "../logger.ts";
import { contentDisposition } from "./content-disposition.ts";
import { BlobNotFoundError } from "./errors.ts";
import { assertBlobKey, normalizeBlobPrefix } from "./keys.ts";
import type { BlobStore } from "./port.ts";
import { ByteMeter, chunksOf, readAll, signedPutHeaders } from "./streams.ts";

export interface S3BlobStoreOptions {
  bucket: string;
  region: string;
  /** S3-compatible server (MinIO, s3rver); AWS when unset. */
  endpoint?: string;
  /** Static credentials; the SDK's default chain when unset. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  forcePathStyle: boolean;
  /** Multipart part size; S3 needs at least 5 MiB for every part but the last. Default 8 MiB. */
  partSizeBytes?: number;
  /** Keys per list page when deleting a prefix (S3 caps it at 1000). */
  listPageSize?: number;
  log: Logger;
}

const DEFAULT_PART_SIZE = 8 * 1024 * 1024;

function isNotFound(error: unknown): boolean {
  return (
    error instanceof S3ServiceException &&
    (error.$metadata.httpStatusCode === 404 || ["NoSuchKey", "NotFound", "NoSuchBucket"].includes(error.name))
  );
}

/** Creates the bucket when it is missing (MinIO/s3rver dev setups); fails when it is not ours. */
async function ensureBucket(client: S3Client, bucket: string, region: string, log: Logger): Promise<void> {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  try {
    await client.send(
      new CreateBucketCommand({
        Bucket: bucket,
        // S3-compatible servers accept regions outside the SDK's list of AWS ones.
        ...(region === "us-east-1"
          ? {}
          : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
      }),
    );
    log.info({ bucket }, "created blob bucket");
  } catch (error) {
    if (!(error instanceof S3ServiceException && error.name === "BucketAlreadyOwnedByYou")) throw error;
  }
}

export async function createS3BlobStore(options: S3BlobStoreOptions): Promise<BlobStore> {
  const { bucket, log } = options;
  const partSize = options.partSizeBytes ?? DEFAULT_PART_SIZE;
  const client = new S3Client({
    region: options.region,
    endpoint: options.endpoint,
    credentials: options.credentials,
    forcePathStyle: options.forcePathStyle,
    // Checksums only where S3 requires them: S3-compatible servers otherwise store the
    // aws-chunked framing of streamed bodies, or reject the trailers.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  await ensureBucket(client, bucket, options.region, log);

  async function multipartPut(
    key: string,
    first: Buffer,
    rest: AsyncIterator<Uint8Array>,
    meter: ByteMeter,
    contentType: string | undefined,
  ): Promise<void> {
    const created = await client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: key, ContentType: contentType }),
    );
    const uploadId = created.UploadId;
    if (!uploadId) throw new Error("S3 returned no multipart upload id");
    const parts: CompletedPart[] = [];
    const uploadPart = async (body: Buffer) => {
      const PartNumber = parts.length + 1;
      const result = await client.send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          PartNumber,
          Body: body,
          ContentLength: body.byteLength,
        }),
      );
      parts.push({ ETag: result.ETag, PartNumber });
    };
    try {
      await uploadPart(first);
      let pending: Uint8Array[] = [];
      let pendingBytes = 0;
      for (let next = await rest.next(); !next.done; next = await rest.next()) {
        meter.add(next.value);
        pending.push(next.value);
        pendingBytes += next.value.byteLength;
        if (pendingBytes >= partSize) {
          await uploadPart(Buffer.concat(pending));
          pending = [];
          pendingBytes = 0;
        }
      }
      if (pendingBytes > 0) await uploadPart(Buffer.concat(pending));
      await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: key,
          UploadId: uploadId,
          MultipartUpload: { Parts: parts },
        }),
      );
    } catch (error) {
      // Parts of an aborted upload are never visible as an object; a failed abort only leaves
      // storage to reclaim (an AbortIncompleteMultipartUpload lifecycle rule does that).
      await client
        .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
        .catch((abortError: unknown) =>
          log.warn({ err: abortError, key }, "could not abort multipart upload"),
        );
      throw error;
    }
  }

  async function get(key: string): Promise<Readable> {
    try {
      const result = await client.send(new GetObjectCommand({ Bucket: bucket, Key: assertBlobKey(key) }));
      if (!(result.Body instanceof Readable)) throw new Error("S3 returned no readable body");
      return result.Body;
    } catch (error) {
      if (isNotFound(error)) throw new BlobNotFoundError(key);
      throw error;
    }
  }

  return {
    kind: "s3",

    /** Bodies that fit in one part go up with one PutObject; larger ones as a multipart upload. */
    async put(key, body, { contentType, maxBytes } = {}) {
      assertBlobKey(key);
      const meter = new ByteMeter(maxBytes);
      const chunks = chunksOf(body);
      const head: Uint8Array[] = [];
      let headBytes = 0;
      try {
        for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
          meter.add(next.value);
          head.push(next.value);
          headBytes += next.value.byteLength;
          if (headBytes >= partSize) {
            await multipartPut(key, Buffer.concat(head), chunks, meter, contentType);
            return meter.result();
          }
        }
      } finally {
        // Stops (and destroys) a body we did not read to the end.
        await chunks.return(undefined);
      }
      const whole = Buffer.concat(head);
      await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: whole,
          ContentLength: whole.byteLength,
          ContentType: contentType,
        }),
      );
      return meter.result();
    },

    get,

    async getBytes(key, maxBytes) {
      return readAll(await get(key), maxBytes);
    },

    async head(key) {
      try {
        const result = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: assertBlobKey(key) }));
        return { size: result.ContentLength ?? 0 };
      } catch (error) {
        if (isNotFound(error)) return null;
        throw error;
      }
    },

    /** A server-side copy, then the source is deleted: S3 has no rename. */
    async move(from, to) {
      try {
        await client.send(
          new CopyObjectCommand({
            Bucket: bucket,
            // Keys hold only [a-z0-9._/-]: nothing in them needs URL-encoding.
            CopySource: `${bucket}/${assertBlobKey(from)}`,
            Key: assertBlobKey(to),
          }),
        );
      } catch (error) {
        if (isNotFound(error)) throw new BlobNotFoundError(from);
        throw error;
      }
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: from }));
    },

    async delete(key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: assertBlobKey(key) }));
    },

    async deletePrefix(prefix) {
      const base = normalizeBlobPrefix(prefix);
      let removed = 0;
      let continuationToken: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: base,
            ContinuationToken: continuationToken,
            MaxKeys: options.listPageSize,
          }),
        );
        // `Prefix` is a string prefix: keep the key itself and its children, not `<base>x` siblings.
        const keys = (page.Contents ?? [])
          .map((object) => object.Key)
          .filter((key): key is string => key === base || key?.startsWith(`${base}/`) === true);
        if (keys.length > 0) {
          const result = await client.send(
            new DeleteObjectsCommand({
              Bucket: bucket,
              Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
            }),
          );
          if (result.Errors && result.Errors.length > 0) {
            const first = result.Errors[0];
            throw new Error(`could not delete ${result.Errors.length} blobs (${first?.Key}: ${first?.Code})`);
          }
          removed += keys.length;
        }
        continuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (continuationToken);
      return removed;
    },

    async signedPutUrl(key, { expiresInSeconds, contentType }) {
      const command = new PutObjectCommand({
        Bucket: bucket,
        Key: assertBlobKey(key),
        ContentType: contentType,
      });
      // The presigner leaves Content-Type unsigned unless asked: signing it stops a client from
      // storing, say, text/html under a key we handed out for a PDF.
      const url = await getSignedUrl(client, command, {
        expiresIn: expiresInSeconds,
        signableHeaders: contentType ? new Set(["content-type"]) : undefined,
      });
      return { url, method: "PUT", headers: signedPutHeaders(contentType) };
    },

    async signedGetUrl(key, { expiresInSeconds, downloadName }) {
      const command = new GetObjectCommand({
        Bucket: bucket,
        Key: assertBlobKey(key),
        ResponseContentDisposition: downloadName === undefined ? undefined : contentDisposition(downloadName),
      });
      return getSignedUrl(client, command, { expiresIn: expiresInSeconds });
    },

    verifyUrlToken() {
      return null;
    },

    async check() {
      await client.send(new HeadBucketCommand({ Bucket: bucket }));
    },

    async close() {
      client.destroy();
    },
  };
}
