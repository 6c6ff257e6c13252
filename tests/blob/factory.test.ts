import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createBlobStore } from "../../shared/blob/index.ts";
import { blobKey } from "../../shared/blob/keys.ts";
import { loadConfig } from "../../shared/config/index.ts";
import { createLogger } from "../../shared/logger.ts";
import { startS3Server, type TestS3Server } from "../helpers/s3-server.ts";

const log = createLogger("silent");
const tenant = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";

describe("createBlobStore", () => {
  let dataDir: string;
  let server: TestS3Server;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), "quarry-blob-factory-"));
    server = await startS3Server();
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("defaults to files under DATA_DIR/blobs with a signing secret generated once and kept", async () => {
    const config = loadConfig({ DATA_DIR: dataDir, PORT: "9123" });
    const first = await createBlobStore(config, log);
    expect(first.kind).toBe("filesystem");
    await first.put(blobKey(tenant, "uploads", "doc"), Buffer.from("on disk"));
    expect(readFileSync(join(dataDir, "blobs", "t", tenant, "uploads", "doc.blob"), "utf8")).toBe("on disk");

    const secretFile = join(dataDir, "blob-signing-secret");
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);
    const url = await first.signedGetUrl(blobKey(tenant, "uploads", "doc"), { expiresInSeconds: 60 });
    expect(url.startsWith("http://127.0.0.1:9123/api/rag/blobs/")).toBe(true);

    // A restart (or another process) reads the same secret, so URLs it handed out stay valid.
    const second = await createBlobStore(config, log);
    const token = url.slice(url.lastIndexOf("/") + 1);
    expect(second.verifyUrlToken(token, "get")).toMatchObject({ key: blobKey(tenant, "uploads", "doc") });
    expect(readFileSync(secretFile, "utf8").length).toBeGreaterThanOrEqual(32);
  });

  it("uses BLOB_SIGNING_SECRET (also from a _FILE) and PUBLIC_BASE_URL when given", async () => {
    const secretPath = join(dataDir, "configured-secret");
    writeFileSync(secretPath, `${"s".repeat(40)}\n`);
    const configured = loadConfig({
      DATA_DIR: join(dataDir, "other"),
      BLOB_SIGNING_SECRET_FILE: secretPath,
      PUBLIC_BASE_URL: "https://quarry.example.com/",
    });
    expect(configured.BLOB_SIGNING_SECRET).toBe("s".repeat(40));
    const store = await createBlobStore(configured, log);
    const url = await store.signedGetUrl(blobKey(tenant, "uploads", "doc"), { expiresInSeconds: 60 });
    expect(url.startsWith("https://quarry.example.com/api/rag/blobs/")).toBe(true);

    const generated = await createBlobStore(loadConfig({ DATA_DIR: dataDir }), log);
    expect(generated.verifyUrlToken(url.slice(url.lastIndexOf("/") + 1), "get")).toBeNull();
  });

  it("selects S3 when S3_BUCKET is set, with the secret key from a _FILE", async () => {
    const keyFile = join(dataDir, "s3-secret");
    writeFileSync(keyFile, server.secretAccessKey);
    const config = loadConfig({
      DATA_DIR: dataDir,
      S3_ENDPOINT: server.endpoint,
      S3_BUCKET: "factory-bucket",
      S3_ACCESS_KEY_ID: server.accessKeyId,
      S3_SECRET_ACCESS_KEY_FILE: keyFile,
    });
    expect(config.S3_FORCE_PATH_STYLE).toBe(true);
    expect(config.S3_REGION).toBe("us-east-1");
    const store = await createBlobStore(config, log);
    try {
      expect(store.kind).toBe("s3");
      await store.put(blobKey(tenant, "artifacts", "result"), Buffer.from("{}"));
      expect(await store.head(blobKey(tenant, "artifacts", "result"))).toEqual({ size: 2 });
    } finally {
      await store.close();
    }
  });

  it("refuses half an S3 configuration", async () => {
    await expect(
      createBlobStore(loadConfig({ DATA_DIR: dataDir, S3_ENDPOINT: server.endpoint }), log),
    ).rejects.toThrow("S3_BUCKET");
    await expect(
      createBlobStore(
        loadConfig({ DATA_DIR: dataDir, S3_BUCKET: "b-bucket", S3_ACCESS_KEY_ID: "only-id" }),
        log,
      ),
    ).rejects.toThrow("S3_SECRET_ACCESS_KEY");
    expect(() => loadConfig({ BLOB_SIGNING_SECRET: "short" })).toThrow("BLOB_SIGNING_SECRET");
  });
});
