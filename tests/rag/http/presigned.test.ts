import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blobKey } from "../../../shared/blob/index.ts";
import { signBlobToken } from "../../../shared/blob/signed-url.ts";
import { errorCode, readJson, startTestApp, type TestApp } from "../../helpers/app.ts";
import { startS3Server, type TestS3Server } from "../../helpers/s3-server.ts";
import { createTeam, type TestUser } from "../../helpers/users.ts";
import { type DocumentJson, documentRow, type ErrorJson, jobsOf, sha256, uploadText } from "./helpers.ts";

const SECRET = randomBytes(32).toString("hex");

interface UploadUrlJson {
  id: string;
  put_url: string;
  method: string;
  headers: Record<string, string>;
  key: string;
  expires_in: number;
}

/** The signed URL points at PUBLIC_BASE_URL; the test server listens on a random port, so keep the path. */
const pathOf = (url: string) => new URL(url).pathname;

describe("presigned uploads (filesystem blob store)", () => {
  let t: TestApp;
  let editor: TestUser;
  beforeAll(async () => {
    t = await startTestApp({ env: { BLOB_SIGNING_SECRET: SECRET, UPLOAD_URL_TTL_SECONDS: "600" } });
    ({ editor } = await createTeam(t.deps));
  });
  afterAll(async () => {
    await t.close();
  });

  async function startUpload(body: Record<string, unknown> = { name: "report.pdf" }) {
    const res = await t.call("/api/rag/upload-url", { method: "POST", token: editor.token, json: body });
    expect(res.status).toBe(201);
    return readJson<UploadUrlJson>(res);
  }
  const putTo = (url: string, body: Uint8Array | string, headers: Record<string, string> = {}) =>
    t.call(pathOf(url), { method: "PUT", body, headers });
  const complete = (id: string) => t.call(`/api/rag/${id}/complete`, { method: "POST", token: editor.token });
  /** `complete` answered 202 with the document queued for exactly `content`. */
  async function expectQueued(done: Response, content: string) {
    expect(done.status).toBe(202);
    expect(await readJson<DocumentJson>(done)).toMatchObject({
      status: "queued",
      content_hash: sha256(content),
    });
  }

  it("hands out a PUT URL for a new uploading document", async () => {
    const started = await startUpload({ name: "report.pdf", tags: ["q1", "finance"], size_bytes: 1234 });
    expect(started).toMatchObject({ method: "PUT", headers: {}, expires_in: 600 });
    expect(pathOf(started.put_url)).toMatch(/^\/api\/rag\/blobs\/[\w-]+\.[\w-]+$/);
    const row = await documentRow(t.deps, started.id);
    expect(row).toMatchObject({ status: "uploading", name: "report.pdf", tags: ["q1", "finance"] });
    // The PUT lands beside the document's blob, which only `complete` writes.
    expect(started.key.startsWith(`${row?.blob_key}/`)).toBe(true);
    const expiresIn = ((row?.upload_expires_at?.getTime() ?? 0) - Date.now()) / 1000;
    expect(expiresIn).toBeGreaterThan(590);
    expect(expiresIn).toBeLessThanOrEqual(600);
  });

  it("takes the PUT (any content type), then completes into a queued document with its first job", async () => {
    const content = `presigned ${randomBytes(8).toString("hex")}`;
    const started = await startUpload();
    const put = await putTo(started.put_url, content, { "content-type": "application/pdf" });
    expect(put.status).toBe(200);
    expect(await readJson(put)).toEqual({ size: Buffer.byteLength(content) });

    const done = await complete(started.id);
    expect(done.status).toBe(202);
    expect(await readJson<DocumentJson>(done)).toMatchObject({
      id: started.id,
      name: "report.pdf",
      status: "queued",
      size_bytes: Buffer.byteLength(content),
      content_hash: sha256(content),
    });
    expect(await jobsOf(t.deps, started.id)).toEqual([
      expect.objectContaining({ task_identifier: "ingest:extract" }),
    ]);
    expect((await documentRow(t.deps, started.id))?.upload_expires_at).toBeNull();

    const again = await complete(started.id);
    expect(again.status).toBe(409);
    expect((await readJson<ErrorJson>(again)).error.details).toEqual({ status: "queued" });
  });

  it("closes the URL once the upload is completed: a later PUT is a 409 and changes nothing", async () => {
    const content = `accepted ${randomBytes(8).toString("hex")}`;
    const started = await startUpload();
    expect((await putTo(started.put_url, content)).status).toBe(200);
    expect((await complete(started.id)).status).toBe(202);
    const late = await putTo(started.put_url, "replaced after the fact");
    expect(late.status).toBe(409);
    expect(await errorCode(late)).toBe("conflict");
    expect(await t.deps.blobStore.head(started.key)).toBeNull();
    const row = await documentRow(t.deps, started.id);
    expect(row?.content_hash).toBe(sha256(content));
    expect((await t.deps.blobStore.getBytes(row?.blob_key ?? "")).toString()).toBe(content);
  });

  it("completes an upload whose bytes an earlier complete moved but did not get to accept", async () => {
    const content = `moved ${randomBytes(8).toString("hex")}`;
    const started = await startUpload();
    expect((await putTo(started.put_url, content)).status).toBe(200);
    const documentKey = blobKey(editor.tenantId, "uploads", started.id);
    await t.deps.blobStore.move(started.key, documentKey);
    await expectQueued(await complete(started.id), content);
  });

  it("refuses a file of another size than declared (422) and keeps the upload open for the right one", async () => {
    const content = `declared ${randomBytes(8).toString("hex")}`;
    const started = await startUpload({ name: "declared.txt", size_bytes: Buffer.byteLength(content) });
    expect((await putTo(started.put_url, content.slice(0, 10))).status).toBe(200);
    const cut = await complete(started.id);
    expect(cut.status).toBe(422);
    expect((await readJson<ErrorJson>(cut)).error.details).toEqual({
      field: "size_bytes",
      declared_size_bytes: Buffer.byteLength(content),
      size_bytes: 10,
    });
    expect((await documentRow(t.deps, started.id))?.status).toBe("uploading");

    expect((await putTo(started.put_url, content)).status).toBe(200);
    await expectQueued(await complete(started.id), content);
  });

  it("still takes a URL signed for the document's own blob, as upload-url made them before", async () => {
    const content = `signed before ${randomBytes(8).toString("hex")}`;
    const started = await startUpload();
    const legacy = signBlobToken(
      {
        op: "put",
        key: blobKey(editor.tenantId, "uploads", started.id),
        exp: Math.floor(Date.now() / 1000) + 60,
        maxBytes: 1024,
      },
      SECRET,
    );
    expect((await t.call(`/api/rag/blobs/${legacy}`, { method: "PUT", body: content })).status).toBe(200);
    await expectQueued(await complete(started.id), content);
  });

  it("answers 409 to a complete before the PUT, and keeps the upload open", async () => {
    const started = await startUpload();
    const res = await complete(started.id);
    expect(res.status).toBe(409);
    expect((await readJson<ErrorJson>(res)).error.message).toBe("upload not found; PUT the file first");
    expect((await documentRow(t.deps, started.id))?.status).toBe("uploading");
  });

  it("refuses a 0-byte upload at complete (422) and removes the document and blob", async () => {
    const started = await startUpload();
    const put = await putTo(started.put_url, "");
    expect(put.status).toBe(200);
    expect(await readJson(put)).toEqual({ size: 0 });
    const res = await complete(started.id);
    expect(res.status).toBe(422);
    expect(await errorCode(res)).toBe("validation_failed");
    expect(await documentRow(t.deps, started.id)).toBeUndefined();
    expect(await t.deps.blobStore.head(started.key)).toBeNull();
    // The URL of a removed upload stores nothing more: no orphan blob.
    expect((await putTo(started.put_url, "after the refusal")).status).toBe(409);
    expect(await t.deps.blobStore.head(started.key)).toBeNull();
  });

  it("answers 409 with the existing document when the content is already there, dropping the upload", async () => {
    const content = `already here ${randomBytes(8).toString("hex")}`;
    const existing = await uploadText(t, editor.token, content);
    const started = await startUpload();
    expect((await putTo(started.put_url, content)).status).toBe(200);
    const res = await complete(started.id);
    expect(res.status).toBe(409);
    expect((await readJson<ErrorJson>(res)).error.details).toEqual({
      document_id: existing.id,
      status: "queued",
    });
    expect(await documentRow(t.deps, started.id)).toBeUndefined();
    expect(await t.deps.blobStore.head(started.key)).toBeNull();
  });

  it.each([
    ["a path separator", "dir/file.txt"],
    ["a control character", "bell\u0007.txt"],
  ])("refuses a name with %s (422) without creating a document", async (_case, name) => {
    const before = await t.deps.db.selectFrom("documents").select("id").execute();
    const res = await t.call("/api/rag/upload-url", { method: "POST", token: editor.token, json: { name } });
    expect(res.status).toBe(422);
    expect((await readJson<ErrorJson>(res)).error.details.field).toBe("name");
    expect(await t.deps.db.selectFrom("documents").select("id").execute()).toHaveLength(before.length);
  });

  it("refuses a declared size over the limit (413) up front", async () => {
    const res = await t.call("/api/rag/upload-url", {
      method: "POST",
      token: editor.token,
      json: { name: "big.bin", size_bytes: t.deps.config.UPLOAD_LIMIT_BYTES + 1 },
    });
    expect(res.status).toBe(413);
  });

  describe("signed blob URLs", () => {
    const tokenOf = (url: string) => pathOf(url).split("/").pop() ?? "";

    it("refuses a tampered token with 403 and stores nothing", async () => {
      const started = await startUpload();
      const token = tokenOf(started.put_url);
      const [payload, signature] = token.split(".") as [string, string];
      const flipped = `${payload}.${signature.startsWith("A") ? "B" : "A"}${signature.slice(1)}`;
      const res = await t.call(`/api/rag/blobs/${flipped}`, { method: "PUT", body: "evil" });
      expect(res.status).toBe(403);
      expect(await errorCode(res)).toBe("forbidden");
      expect(await t.deps.blobStore.head(started.key)).toBeNull();
    });

    it("refuses an expired token with 403", async () => {
      const started = await startUpload();
      const expired = signBlobToken(
        { op: "put", key: started.key, exp: Math.floor(Date.now() / 1000) - 1, maxBytes: 1024 },
        SECRET,
      );
      const res = await t.call(`/api/rag/blobs/${expired}`, { method: "PUT", body: "late" });
      expect(res.status).toBe(403);
      expect(await t.deps.blobStore.head(started.key)).toBeNull();
    });

    it("refuses a download token used to upload, and an upload token used to download", async () => {
      const started = await startUpload();
      const getUrl = await t.deps.blobStore.signedGetUrl(started.key, { expiresInSeconds: 60 });
      expect((await t.call(pathOf(getUrl), { method: "PUT", body: "x" })).status).toBe(403);
      expect((await t.call(pathOf(started.put_url))).status).toBe(403);
    });

    it("refuses a body over the token's byte limit with 413 and keeps no blob", async () => {
      const started = await startUpload();
      const small = signBlobToken(
        { op: "put", key: started.key, exp: Math.floor(Date.now() / 1000) + 60, maxBytes: 100 },
        SECRET,
      );
      const res = await t.call(`/api/rag/blobs/${small}`, { method: "PUT", body: randomBytes(5000) });
      expect(res.status).toBe(413);
      expect(res.headers.get("connection")).toBe("close");
      expect(await t.deps.blobStore.head(started.key)).toBeNull();
    });

    it("serves a signed download with the file name from the token", async () => {
      const content = `download me ${randomBytes(4).toString("hex")}`;
      const started = await startUpload();
      await putTo(started.put_url, content);
      const url = await t.deps.blobStore.signedGetUrl(started.key, {
        expiresInSeconds: 60,
        downloadName: "rapport été.txt",
      });
      const res = await t.call(pathOf(url));
      expect(res.status).toBe(200);
      expect(res.headers.get("content-disposition")).toBe(
        "attachment; filename=\"rapport ete.txt\"; filename*=UTF-8''rapport%20%C3%A9t%C3%A9.txt",
      );
      expect(res.headers.get("x-content-type-options")).toBe("nosniff");
      expect(await res.text()).toBe(content);
    });

    it("are documented as taking no token, and the upload as a streamed multipart body", async () => {
      const doc = await readJson<{
        paths: Record<string, Record<string, { security?: unknown[]; requestBody?: { content: object } }>>;
      }>(await t.call("/api/docs/openapi.json"));
      expect(doc.paths["/api/rag/blobs/{token}"]?.put?.security).toEqual([]);
      expect(doc.paths["/api/rag/blobs/{token}"]?.get?.security).toEqual([]);
      expect(Object.keys(doc.paths["/api/rag/upload"]?.post?.requestBody?.content ?? {})).toEqual([
        "multipart/form-data",
      ]);
    });

    it("answers 404 to a valid download token whose blob is gone", async () => {
      const started = await startUpload();
      const url = await t.deps.blobStore.signedGetUrl(started.key, { expiresInSeconds: 60 });
      expect((await t.call(pathOf(url))).status).toBe(404);
    });
  });
});

describe("completing a presigned upload over the limit", () => {
  let t: TestApp;
  let editor: TestUser;
  beforeAll(async () => {
    t = await startTestApp({ env: { UPLOAD_LIMIT_BYTES: "1024" } });
    ({ editor } = await createTeam(t.deps));
  });
  afterAll(async () => {
    await t.close();
  });

  it("answers 413 and removes the document and blob (a presigned S3 PUT has no size limit)", async () => {
    const res = await t.call("/api/rag/upload-url", {
      method: "POST",
      token: editor.token,
      json: { name: "big.bin" },
    });
    const started = await readJson<UploadUrlJson>(res);
    // What an S3 PUT could leave: written past the limit the filesystem route would have enforced.
    await t.deps.blobStore.put(started.key, randomBytes(4096));
    const done = await t.call(`/api/rag/${started.id}/complete`, { method: "POST", token: editor.token });
    expect(done.status).toBe(413);
    expect((await readJson<ErrorJson>(done)).error.details).toEqual({ limit_bytes: 1024 });
    expect(await documentRow(t.deps, started.id)).toBeUndefined();
    expect(await t.deps.blobStore.head(started.key)).toBeNull();
  });
});

describe("presigned uploads (S3 blob store)", () => {
  let s3: TestS3Server;
  let t: TestApp;
  let editor: TestUser;
  beforeAll(async () => {
    s3 = await startS3Server("presigned");
    t = await startTestApp({ env: s3.quarryEnv });
    ({ editor } = await createTeam(t.deps));
  });
  afterAll(async () => {
    await t?.close();
    await s3?.close();
  });

  it("takes the PUT at S3 and completes; a later PUT to the same URL leaves the accepted bytes alone", async () => {
    const content = `straight to S3 ${randomBytes(8).toString("hex")}`;
    const res = await t.call("/api/rag/upload-url", {
      method: "POST",
      token: editor.token,
      json: { name: "s3.txt" },
    });
    const started = await readJson<UploadUrlJson>(res);
    expect(new URL(started.put_url).origin).toBe(new URL(s3.endpoint).origin);
    const put = (body: string) => fetch(started.put_url, { method: "PUT", headers: started.headers, body });
    expect((await put(content)).status).toBe(200);

    const done = await t.call(`/api/rag/${started.id}/complete`, { method: "POST", token: editor.token });
    expect(done.status).toBe(202);
    expect(await readJson<DocumentJson>(done)).toMatchObject({
      status: "queued",
      size_bytes: Buffer.byteLength(content),
      content_hash: sha256(content),
    });
    expect(await t.deps.blobStore.head(started.key)).toBeNull();

    expect((await put("replaced after the fact")).status).toBe(200);
    const row = await documentRow(t.deps, started.id);
    expect((await t.deps.blobStore.getBytes(row?.blob_key ?? "")).toString()).toBe(content);
  });
});
