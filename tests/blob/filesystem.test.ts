import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contentDisposition } from "../../shared/blob/content-disposition.ts";
import { BlobTooLargeError } from "../../shared/blob/errors.ts";
import { createFilesystemBlobStore } from "../../shared/blob/filesystem.ts";
import { blobKey } from "../../shared/blob/keys.ts";
import type { BlobStore } from "../../shared/blob/port.ts";
import { SIGNED_BLOB_PATH, signBlobToken } from "../../shared/blob/signed-url.ts";
import { blobStoreContract } from "./blob-store-contract.ts";

const SECRET = "test-secret-test-secret-test-secret";

/**
 * A stand-in for the rag function's `/api/rag/blobs/<token>` route, so the signed URLs the filesystem
 * store hands out are exercised over real HTTP.
 */
function serveSignedBlobs(storeOf: () => BlobStore): Server {
  return createServer(async (req, res) => {
    const store = storeOf();
    const token = req.url?.startsWith(SIGNED_BLOB_PATH) ? req.url.slice(SIGNED_BLOB_PATH.length) : "";
    try {
      if (req.method === "PUT") {
        const grant = store.verifyUrlToken(token, "put");
        if (!grant || (grant.contentType && req.headers["content-type"] !== grant.contentType)) {
          res.writeHead(403).end();
          return;
        }
        await store.put(grant.key, req, { maxBytes: grant.maxBytes, contentType: grant.contentType });
        res.writeHead(200).end();
        return;
      }
      const grant = store.verifyUrlToken(token, "get");
      if (req.method !== "GET" || !grant) {
        res.writeHead(403).end();
        return;
      }
      const body = await store.get(grant.key);
      res.writeHead(
        200,
        grant.downloadName ? { "content-disposition": contentDisposition(grant.downloadName) } : {},
      );
      await pipeline(body, res);
    } catch (error) {
      res.writeHead(error instanceof BlobTooLargeError ? 413 : 500).end();
    }
  });
}

async function startFilesystemStore(root: string) {
  let store: BlobStore | undefined;
  const server = serveSignedBlobs(() => {
    if (!store) throw new Error("store not ready");
    return store;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  store = await createFilesystemBlobStore({
    root,
    secret: SECRET,
    publicBaseUrl: `http://127.0.0.1:${port}/`,
  });
  const ready = store;
  return {
    store: ready,
    async close() {
      await ready.close();
      await new Promise((resolve) => server.close(resolve));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

blobStoreContract("filesystem", () => startFilesystemStore(mkdtempSync(join(tmpdir(), "quarry-blobs-"))));

describe("filesystem blob store", () => {
  let root: string;
  let harness: Awaited<ReturnType<typeof startFilesystemStore>>;
  const tenant = "0b7d2c4e-1f8a-4c1e-9d3b-5a6f7e8d9c0b";

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), "quarry-blobs-"));
    harness = await startFilesystemStore(root);
  });
  afterAll(async () => {
    await harness?.close();
  });

  it("keeps objects under the root at the key's path and leaves no temp file after a failed put", async () => {
    const { store } = harness;
    await store.put(blobKey(tenant, "uploads", "doc"), Buffer.from("kept"));
    await expect(
      store.put(blobKey(tenant, "uploads", "doc", "extra"), Readable.from([Buffer.alloc(64)]), {
        maxBytes: 8,
      }),
    ).rejects.toBeInstanceOf(BlobTooLargeError);
    const files = readdirSync(join(root, "t", tenant, "uploads"), { recursive: true })
      .map(String)
      .sort();
    expect(files).toEqual(["doc", "doc.blob"]);
    expect(readdirSync(join(root, "t", tenant, "uploads", "doc"))).toEqual([]);
  });

  it("signs URLs under PUBLIC_BASE_URL/api/rag/blobs/ with tokens only its own secret verifies", async () => {
    const { store } = harness;
    const key = blobKey(tenant, "uploads", "signed");
    const signed = await store.signedPutUrl(key, {
      expiresInSeconds: 60,
      maxBytes: 100,
      contentType: "text/csv",
    });
    const base = signed.url.slice(0, signed.url.lastIndexOf("/") + 1);
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/rag\/blobs\/$/);
    const token = signed.url.slice(base.length);
    expect(store.verifyUrlToken(token, "put")).toMatchObject({
      op: "put",
      key,
      maxBytes: 100,
      contentType: "text/csv",
    });
    expect(store.verifyUrlToken(token, "get")).toBeNull();

    const forged = signBlobToken(
      { op: "put", key, exp: Math.floor(Date.now() / 1000) + 60 },
      "another-secret",
    );
    expect(store.verifyUrlToken(forged, "put")).toBeNull();
    const response = await fetch(`${base}${forged}`, { method: "PUT", body: "x" });
    expect(response.status).toBe(403);
    expect(await store.head(key)).toBeNull();
  });

  it("the signed PUT route stops an upload past the token's maxBytes", async () => {
    const { store } = harness;
    const key = blobKey(tenant, "uploads", "limited");
    const signed = await store.signedPutUrl(key, { expiresInSeconds: 60, maxBytes: 16 });
    const response = await fetch(signed.url, {
      method: "PUT",
      headers: signed.headers,
      body: "x".repeat(17),
    });
    expect(response.status).toBe(413);
    expect(await store.head(key)).toBeNull();
  });
});
