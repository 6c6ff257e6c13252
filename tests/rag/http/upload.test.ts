import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, readJson, startTestApp, type TestApp } from "../../helpers/app.ts";
import { createTeam, createUser, type TestUser } from "../../helpers/users.ts";
import {
  blobFiles,
  type DocumentJson,
  documentRow,
  type ErrorJson,
  jobsOf,
  sha256,
  upload,
  uploadText,
} from "./helpers.ts";

describe("POST /api/rag/upload", () => {
  let t: TestApp;
  let editor: TestUser;
  beforeAll(async () => {
    t = await startTestApp({ env: { INGEST_MAX_ATTEMPTS: "4" } });
    ({ editor } = await createTeam(t.deps));
  });
  afterAll(async () => {
    await t.close();
  });

  const tenantRows = () =>
    t.deps.db
      .selectFrom("documents")
      .select(["id", "status"])
      .where("tenant_id", "=", editor.tenantId)
      .execute();

  it("stores the file, queues the document and enqueues its first ingest job", async () => {
    const content = `hello quarry ${randomBytes(8).toString("hex")}`;
    const res = await upload(t, editor.token, [
      ["tags", "alpha, beta"],
      ["file", content, "hello.txt"],
    ]);
    expect(res.status).toBe(201);
    const body = await readJson<DocumentJson>(res);
    expect(body).toMatchObject({
      name: "hello.txt",
      status: "queued",
      size_bytes: Buffer.byteLength(content),
      content_hash: sha256(content),
      tags: ["alpha", "beta"],
      uploaded_by: editor.id,
    });
    expect(Date.parse(body.created_at)).not.toBeNaN();

    const row = await documentRow(t.deps, body.id);
    expect(row?.status).toBe("queued");
    expect(row?.upload_expires_at).toBeNull();
    const stored = await t.deps.blobStore.getBytes(row?.blob_key ?? "");
    expect(sha256(stored)).toBe(sha256(content));
    expect(await jobsOf(t.deps, body.id)).toEqual([{ task_identifier: "ingest:extract", max_attempts: 4 }]);
  });

  it("streams a 3 MB file through to storage", async () => {
    const bytes = randomBytes(3 * 1024 * 1024);
    const res = await upload(t, editor.token, [["file", bytes, "big.bin"]]);
    expect(res.status).toBe(201);
    const body = await readJson<DocumentJson>(res);
    expect(body.size_bytes).toBe(bytes.length);
    expect(body.content_hash).toBe(sha256(bytes));
    const row = await documentRow(t.deps, body.id);
    expect((await t.deps.blobStore.head(row?.blob_key ?? ""))?.size).toBe(bytes.length);
  });

  it("applies name and tag fields that come after the file", async () => {
    const res = await upload(t, editor.token, [
      ["tags", "first"],
      ["file", `late fields ${randomBytes(4).toString("hex")}`, "provisional.txt"],
      ["name", "Quarterly report.txt"],
      ["tags", "second,third"],
    ]);
    expect(res.status).toBe(201);
    const body = await readJson<DocumentJson>(res);
    expect(body.name).toBe("Quarterly report.txt");
    expect(body.tags).toEqual(["first", "second", "third"]);
    expect((await documentRow(t.deps, body.id))?.name).toBe("Quarterly report.txt");
  });

  it("names the document after the last segment of a file name carrying a client path", async () => {
    const res = await upload(t, editor.token, [
      ["file", `path ${randomBytes(4).toString("hex")}`, "home/alice/private/report.txt"],
    ]);
    expect(res.status).toBe(201);
    expect((await readJson<DocumentJson>(res)).name).toBe("report.txt");
  });

  it("keeps a UTF-8 file name intact", async () => {
    const res = await upload(t, editor.token, [
      ["file", `utf8 ${randomBytes(4).toString("hex")}`, "résumé 履歴.txt"],
    ]);
    expect(res.status).toBe(201);
    expect((await readJson<DocumentJson>(res)).name).toBe("résumé 履歴.txt");
  });

  it.each([
    ["a path separator, before the file", "reports/q1.txt", "before"],
    ["a control character, after the file", "bell\u0007.txt", "after"],
  ])("refuses a name with %s (422) and leaves nothing behind", async (_case, name, position) => {
    const before = (await tenantRows()).length;
    const blobsBefore = (await blobFiles(t.deps)).length;
    const file: [string, string, string] = ["file", `bad name ${randomBytes(4).toString("hex")}`, "ok.txt"];
    const parts: [string, string][] = [["name", name]];
    const res = await upload(t, editor.token, position === "before" ? [...parts, file] : [file, ...parts]);
    expect(res.status).toBe(422);
    const body = await readJson<ErrorJson>(res);
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.details.field).toBe("name");
    expect((await tenantRows()).length).toBe(before);
    expect((await blobFiles(t.deps)).length).toBe(blobsBefore);
  });

  it.each([
    ["before", "before"],
    ["after", "after"],
  ])(
    "refuses a field it does not take, sent %s the file (422), and leaves nothing behind",
    async (_case, position) => {
      const before = (await tenantRows()).length;
      const blobsBefore = (await blobFiles(t.deps)).length;
      const file: [string, string, string] = [
        "file",
        `unknown field ${randomBytes(4).toString("hex")}`,
        "ok.txt",
      ];
      const parts: [string, string][] = [["tag", "misspelt"]];
      const res = await upload(t, editor.token, position === "before" ? [...parts, file] : [file, ...parts]);
      expect(res.status).toBe(422);
      const body = await readJson<ErrorJson>(res);
      expect(body.error.message).toBe('unknown multipart field "tag"');
      expect(body.error.details).toEqual({ field: "tag", accepted: ["file", "name", "tags"] });
      expect((await tenantRows()).length).toBe(before);
      expect((await blobFiles(t.deps)).length).toBe(blobsBefore);
    },
  );

  it("refuses a name given twice (422), and leaves nothing behind; tags may repeat", async () => {
    const before = (await tenantRows()).length;
    const blobsBefore = (await blobFiles(t.deps)).length;
    const content = `twice ${randomBytes(4).toString("hex")}`;
    const res = await upload(t, editor.token, [
      ["name", "first.txt"],
      ["file", content, "ok.txt"],
      ["name", "second.txt"],
    ]);
    expect(res.status).toBe(422);
    expect((await readJson<ErrorJson>(res)).error).toMatchObject({
      message: 'field "name" is given twice',
      details: { field: "name" },
    });
    expect((await tenantRows()).length).toBe(before);
    expect((await blobFiles(t.deps)).length).toBe(blobsBefore);
    const tagged = await upload(t, editor.token, [
      ["tags", "red"],
      ["tags", "blue,green"],
      ["file", content, "ok.txt"],
    ]);
    expect(tagged.status).toBe(201);
    expect((await readJson<{ tags: string[] }>(tagged)).tags.sort()).toEqual(["blue", "green", "red"]);
  });

  it("refuses an empty file with 422 and leaves no row or blob", async () => {
    const before = (await tenantRows()).length;
    const blobsBefore = (await blobFiles(t.deps)).length;
    const res = await upload(t, editor.token, [["file", "", "empty.txt"]]);
    expect(res.status).toBe(422);
    expect((await readJson<ErrorJson>(res)).error.message).toMatch(/empty/);
    expect((await tenantRows()).length).toBe(before);
    expect((await blobFiles(t.deps)).length).toBe(blobsBefore);
  });

  it("requires a file part (422)", async () => {
    const res = await upload(t, editor.token, [["name", "nothing.txt"]]);
    expect(res.status).toBe(422);
    expect((await readJson<ErrorJson>(res)).error.message).toMatch(/"file" is required/);
  });

  it("refuses a file sent under another field name", async () => {
    const res = await upload(t, editor.token, [["attachment", "bytes", "x.txt"]]);
    expect(res.status).toBe(422);
  });

  it("refuses a non-multipart body with 415", async () => {
    const res = await t.call("/api/rag/upload", { method: "POST", token: editor.token, json: { name: "x" } });
    expect(res.status).toBe(415);
    expect(await errorCode(res)).toBe("unsupported_media_type");
  });

  it("refuses a malformed multipart body with 400 and keeps no row", async () => {
    const before = (await tenantRows()).length;
    const res = await t.call("/api/rag/upload", {
      method: "POST",
      token: editor.token,
      headers: { "content-type": "multipart/form-data; boundary=xyz" },
      body: '--xyz\r\nContent-Disposition: form-data; name="file"; filename="cut.txt"\r\n\r\ntruncated',
    });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe("bad_request");
    expect((await tenantRows()).length).toBe(before);
  });

  it("removes the row and the partial blob when the client goes away mid-upload", async () => {
    const rowsBefore = (await tenantRows()).length;
    const blobsBefore = (await blobFiles(t.deps)).length;
    const controller = new AbortController();
    const head = '--cut\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n\r\n';
    const body = new ReadableStream<Uint8Array>({
      start(stream) {
        stream.enqueue(new TextEncoder().encode(head));
        stream.enqueue(randomBytes(64 * 1024));
      },
    });
    const pending = t
      .call("/api/rag/upload", {
        method: "POST",
        token: editor.token,
        headers: { "content-type": "multipart/form-data; boundary=cut" },
        body,
        signal: controller.signal,
        duplex: "half",
      } as RequestInit)
      .catch((error: unknown) => error);
    await expect.poll(async () => (await tenantRows()).some((row) => row.status === "uploading")).toBe(true);
    controller.abort();
    expect(await pending).toBeInstanceOf(Error);
    await expect.poll(async () => (await tenantRows()).length).toBe(rowsBefore);
    await expect.poll(async () => (await blobFiles(t.deps)).length).toBe(blobsBefore);
  });

  it("answers 409 with the existing document for identical content, keeping one row and one blob", async () => {
    const content = `duplicate ${randomBytes(8).toString("hex")}`;
    const first = await uploadText(t, editor.token, content);
    const blobsBefore = (await blobFiles(t.deps)).length;
    const rowsBefore = (await tenantRows()).length;
    const res = await upload(t, editor.token, [["file", content, "again.txt"]]);
    expect(res.status).toBe(409);
    const body = await readJson<ErrorJson>(res);
    expect(body.error.code).toBe("conflict");
    expect(body.error.details).toEqual({ document_id: first.id, status: "queued" });
    expect((await tenantRows()).length).toBe(rowsBefore);
    expect((await blobFiles(t.deps)).length).toBe(blobsBefore);
  });

  it("replays an upload retried with the same Idempotency-Key instead of storing it twice", async () => {
    const content = `idempotent ${randomBytes(8).toString("hex")}`;
    const headers = { "idempotency-key": `upload-${randomBytes(6).toString("hex")}` };
    const first = await upload(t, editor.token, [["file", content, "once.txt"]], headers);
    const replay = await upload(t, editor.token, [["file", content, "once.txt"]], headers);
    expect(first.status).toBe(201);
    expect(replay.status).toBe(201);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    const [a, b] = [await readJson<DocumentJson>(first), await readJson<DocumentJson>(replay)];
    expect(b.id).toBe(a.id);
    const rows = await t.deps.db
      .selectFrom("documents")
      .select("id")
      .where("content_hash", "=", sha256(content))
      .execute();
    expect(rows).toHaveLength(1);
  });
});

describe("POST /api/rag/upload under a small limit", () => {
  const LIMIT = 64 * 1024;
  let t: TestApp;
  let tenantId: string;
  beforeAll(async () => {
    t = await startTestApp({ env: { UPLOAD_LIMIT_BYTES: String(LIMIT), RATE_LIMIT_UPLOAD: "3/60s" } });
    const team = await createTeam(t.deps);
    tenantId = team.tenant.id;
  });
  afterAll(async () => {
    await t.close();
  });

  /** A fresh editor per test: the upload rate limit counts per user. */
  const newEditor = () => createUser(t.deps, tenantId, "editor");
  const rowCount = async () =>
    (await t.deps.db.selectFrom("documents").select("id").where("tenant_id", "=", tenantId).execute()).length;

  it.each([
    ["3 MB", 3 * 1024 * 1024],
    ["one byte", LIMIT + 1],
  ])(
    "refuses a file %s over the limit with 413, closing the connection, leaving no row or blob",
    async (_label, size) => {
      const editor = await newEditor();
      const res = await upload(t, editor.token, [["file", randomBytes(size), "huge.bin"]]);
      expect(res.status).toBe(413);
      expect(res.headers.get("connection")).toBe("close");
      const body = await readJson<ErrorJson>(res);
      expect(body.error).toMatchObject({ code: "payload_too_large", details: { limit_bytes: LIMIT } });
      expect(await rowCount()).toBe(0);
      expect(await blobFiles(t.deps)).toEqual([]);
    },
  );

  it("accepts a file of exactly the limit, and the next request works", async () => {
    const editor = await newEditor();
    const bytes = randomBytes(LIMIT);
    const res = await upload(t, editor.token, [["file", bytes, "edge.bin"]]);
    expect(res.status).toBe(201);
    expect((await readJson<DocumentJson>(res)).size_bytes).toBe(LIMIT);
    const list = await t.call("/api/rag", { token: editor.token });
    expect(list.status).toBe(200);
    await t.deps.db.deleteFrom("documents").where("tenant_id", "=", tenantId).execute();
  });

  it("rate limits uploads per user under the upload policy", async () => {
    const editor = await newEditor();
    for (let i = 0; i < 3; i++) {
      const res = await upload(t, editor.token, [
        ["file", `rate ${i} ${randomBytes(4).toString("hex")}`, "r.txt"],
      ]);
      expect(res.status).toBe(201);
    }
    const limited = await upload(t, editor.token, [["file", "one too many", "r.txt"]]);
    expect(limited.status).toBe(429);
    expect(limited.headers.get("ratelimit-policy")).toMatch(/^"upload";q=3;w=60/);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    const other = await newEditor();
    expect(
      (await upload(t, other.token, [["file", `other ${randomBytes(4).toString("hex")}`, "o.txt"]])).status,
    ).toBe(201);
  });
});
