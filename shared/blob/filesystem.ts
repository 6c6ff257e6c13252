import { randomBytes } from "node:crypto";
import { createWriteStream } from "node:fs";
import { access, constants, mkdir, open, readdir, rename, rm, stat } from "node:fs/promises";
import { dirname, resolve, sep } from "node:path";
import { pipeline } from "node:stream/promises";
import { BlobNotFoundError, InvalidBlobKeyError } from "./errors.ts";
import { assertBlobKey, normalizeBlobPrefix } from "./keys.ts";
import type { BlobStore } from "./port.ts";
import { type BlobTokenPayload, SIGNED_BLOB_PATH, signBlobToken, verifyBlobToken } from "./signed-url.ts";
import { ByteMeter, metered, readAll, signedPutHeaders } from "./streams.ts";

export interface FilesystemBlobStoreOptions {
  /** Directory holding the blobs (created when missing). */
  root: string;
  /** HMAC secret of the signed URLs Quarry serves itself. */
  secret: string;
  /** Base of signed URLs, e.g. http://127.0.0.1:8080 (no trailing slash needed). */
  publicBaseUrl: string;
}

/**
 * Object `t/a/uploads/d` is the file `<root>/t/a/uploads/d.blob` and `t/a/uploads/d/x` is
 * `<root>/t/a/uploads/d/x.blob`: directory names never contain a dot, so keys and their children
 * never collide. Writes go to `<file>.<random>.tmp` and are renamed into place.
 */
const OBJECT_SUFFIX = ".blob";

const isMissing = (error: unknown) =>
  ["ENOENT", "ENOTDIR"].includes((error as NodeJS.ErrnoException).code ?? "");

export async function createFilesystemBlobStore(options: FilesystemBlobStoreOptions): Promise<BlobStore> {
  const root = resolve(options.root);
  const baseUrl = options.publicBaseUrl.replace(/\/+$/, "");
  await mkdir(root, { recursive: true });

  /** Maps a validated key or prefix to a path, refusing anything that would leave the root. */
  function pathOf(keyOrPrefix: string): string {
    const path = resolve(root, keyOrPrefix);
    if (!path.startsWith(root + sep)) throw new InvalidBlobKeyError(keyOrPrefix);
    return path;
  }
  const objectPath = (key: string) => pathOf(assertBlobKey(key)) + OBJECT_SUFFIX;

  async function countObjects(dir: string): Promise<number> {
    try {
      const entries = await readdir(dir, { recursive: true });
      return entries.filter((entry) => entry.endsWith(OBJECT_SUFFIX)).length;
    } catch (error) {
      if (isMissing(error)) return 0;
      throw error;
    }
  }

  async function get(key: string) {
    const path = objectPath(key);
    try {
      const handle = await open(path, "r");
      return handle.createReadStream();
    } catch (error) {
      if (isMissing(error)) throw new BlobNotFoundError(key);
      throw error;
    }
  }

  function signedUrl(payload: BlobTokenPayload): string {
    return `${baseUrl}${SIGNED_BLOB_PATH}${signBlobToken(payload, options.secret)}`;
  }
  const expiry = (seconds: number) => Math.floor(Date.now() / 1000) + seconds;

  return {
    kind: "filesystem",

    async put(key, body, putOptions = {}) {
      const path = objectPath(key);
      await mkdir(dirname(path), { recursive: true });
      const temp = `${path}.${randomBytes(8).toString("hex")}.tmp`;
      const meter = new ByteMeter(putOptions.maxBytes);
      try {
        await pipeline(
          metered(body, meter),
          createWriteStream(temp, { flags: "wx", mode: 0o600, flush: true }),
        );
        await rename(temp, path);
      } catch (error) {
        await rm(temp, { force: true });
        throw error;
      }
      return meter.result();
    },

    get,

    async getBytes(key, maxBytes) {
      return readAll(await get(key), maxBytes);
    },

    async head(key) {
      try {
        const info = await stat(objectPath(key));
        return { size: info.size };
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
    },

    async move(from, to) {
      const target = objectPath(to);
      await mkdir(dirname(target), { recursive: true });
      try {
        await rename(objectPath(from), target);
      } catch (error) {
        if (isMissing(error)) throw new BlobNotFoundError(from);
        throw error;
      }
    },

    async delete(key) {
      await rm(objectPath(key), { force: true });
    },

    async deletePrefix(prefix) {
      const base = pathOf(normalizeBlobPrefix(prefix));
      const own = await stat(base + OBJECT_SUFFIX).then(
        () => 1,
        () => 0,
      );
      const removed = own + (await countObjects(base));
      await rm(base, { recursive: true, force: true });
      await rm(base + OBJECT_SUFFIX, { force: true });
      return removed;
    },

    async signedPutUrl(key, { expiresInSeconds, contentType, maxBytes }) {
      const url = signedUrl({
        op: "put",
        key: assertBlobKey(key),
        exp: expiry(expiresInSeconds),
        maxBytes,
        contentType,
      });
      return { url, method: "PUT", headers: signedPutHeaders(contentType) };
    },

    async signedGetUrl(key, { expiresInSeconds, downloadName }) {
      return signedUrl({ op: "get", key: assertBlobKey(key), exp: expiry(expiresInSeconds), downloadName });
    },

    verifyUrlToken(token, op) {
      return verifyBlobToken(token, options.secret, op);
    },

    async check() {
      await access(root, constants.R_OK | constants.W_OK);
    },

    async close() {},
  };
}
