import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blobKey } from "../../shared/blob/keys.ts";
import { createS3BlobStore } from "../../shared/blob/s3.ts";
import { createLogger } from "../../shared/logger.ts";
import { startS3Server, type TestS3Server } from "../helpers/s3-server.ts";
import { blobStoreContract } from "./blob-store-contract.ts";

const log = createLogger("silent");
const MiB = 1024 * 1024;

function storeOn(server: TestS3Server, bucket = server.bucket) {
  return createS3BlobStore({
    bucket,
    region: server.region,
    endpoint: server.endpoint,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    forcePathStyle: true,
    // Small parts and pages so the 5 MB contract body goes up as a multipart upload and listings
    // are paginated (real S3 needs parts of at least 5 MiB; s3rver does not).
    partSizeBytes: 1 * MiB,
    listPageSize: 2,
    log,
  });
}

blobStoreContract("s3 (s3rver)", async () => {
  const server = await startS3Server();
  const store = await storeOn(server);
  return {
    store,
    async close() {
      await store.close();
      await server.close();
    },
  };
});

describe("s3 blob store", () => {
  let server: TestS3Server;
  const tenant = "5c0e8a52-8d7e-4c0b-a0f2-3f1b2c3d4e5f";

  beforeAll(async () => {
    server = await startS3Server();
  });
  afterAll(async () => {
    await server?.close();
  });

  it("creates its bucket when it is missing", async () => {
    const store = await storeOn(server, "created-on-start");
    try {
      await store.check();
      await store.put(blobKey(tenant, "canonical", "doc"), Buffer.from("text"));
      expect(await store.head(blobKey(tenant, "canonical", "doc"))).toEqual({ size: 4 });
      // A second start finds the bucket and keeps its objects.
      const again = await storeOn(server, "created-on-start");
      expect(await again.head(blobKey(tenant, "canonical", "doc"))).toEqual({ size: 4 });
      await again.close();
    } finally {
      await store.close();
    }
  });

  // s3rver accepts any SigV4 signature (it does not compute them), so what the server enforces cannot
  // be observed here; what we sign can.
  it("presigned PUT urls sign the content type and carry no checksum parameters", async () => {
    const store = await storeOn(server);
    try {
      const key = blobKey(tenant, "uploads", "presigned");
      const typed = new URL(
        (await store.signedPutUrl(key, { expiresInSeconds: 60, contentType: "text/plain", maxBytes: 64 }))
          .url,
      );
      expect(typed.pathname).toBe(`/${server.bucket}/${key}`);
      expect(typed.searchParams.get("X-Amz-SignedHeaders")).toBe("content-type;host");
      expect(typed.searchParams.get("X-Amz-Expires")).toBe("60");
      expect([...typed.searchParams.keys()].filter((name) => /checksum/i.test(name))).toEqual([]);

      const untyped = await store.signedPutUrl(key, { expiresInSeconds: 60, maxBytes: 64 });
      expect(new URL(untyped.url).searchParams.get("X-Amz-SignedHeaders")).toBe("host");
      expect(untyped.headers).toEqual({});
    } finally {
      await store.close();
    }
  });

  it("never answers tokens meant for Quarry's own blob route", async () => {
    const store = await storeOn(server);
    expect(store.verifyUrlToken("anything.at-all", "put")).toBeNull();
    await store.close();
  });
});
