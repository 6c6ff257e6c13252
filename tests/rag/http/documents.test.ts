import { randomBytes, randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { removePendingJob } from "../../../shared/queue/enqueue.ts";
import { errorCode, readJson, startTestApp, type TestApp } from "../../helpers/app.ts";
import { createTeam, type TestUser } from "../../helpers/users.ts";
import {
  type DocumentJson,
  documentRow,
  type ErrorJson,
  jobsOf,
  setStatus,
  sha256,
  uploadText,
} from "./helpers.ts";

interface PageJson {
  items: DocumentJson[];
  next_cursor: string | null;
}

describe("document routes", () => {
  let t: TestApp;
  let editor: TestUser;
  let reader: TestUser;
  let foreignEditor: TestUser;
  beforeAll(async () => {
    t = await startTestApp();
    ({ editor, reader } = await createTeam(t.deps));
    ({ editor: foreignEditor } = await createTeam(t.deps));
  });
  afterAll(async () => {
    await t.close();
  });

  const unique = (label: string) => `${label} ${randomBytes(8).toString("hex")}`;
  const get = (path: string, user = reader) => t.call(path, { token: user.token });
  const post = (path: string, user = editor) => t.call(path, { method: "POST", token: user.token });

  describe("GET /api/rag", () => {
    let tenant: TestUser;
    let docs: DocumentJson[];
    beforeAll(async () => {
      // A tenant of its own, so the list holds exactly these documents.
      const team = await createTeam(t.deps);
      tenant = team.editor;
      docs = [];
      for (const [name, tags] of [
        ["alpha.txt", "red"],
        ["beta.txt", "red,blue"],
        ["gamma 50%_off.txt", "blue"],
        ["delta.txt", ""],
        ["epsilon.txt", "red"],
      ] as const) {
        docs.push(
          await uploadText(t, tenant.token, unique(name), [
            ["name", name],
            ["tags", tags],
          ]),
        );
      }
      await setStatus(t.deps, docs[1]?.id ?? "", "failed");
    });

    const list = async (query: string) => {
      const res = await get(`/api/rag${query}`, tenant);
      expect(res.status).toBe(200);
      return readJson<PageJson>(res);
    };
    const names = (page: PageJson) => page.items.map((doc) => doc.name);

    it("lists newest first with the document view", async () => {
      const page = await list("");
      expect(names(page)).toEqual(["epsilon.txt", "delta.txt", "gamma 50%_off.txt", "beta.txt", "alpha.txt"]);
      expect(page.next_cursor).toBeNull();
      expect(page.items[0]).toMatchObject({ status: "queued", tags: ["red"], mime: null, error: null });
    });

    it("filters by status, tag and name", async () => {
      expect(names(await list("?status=failed"))).toEqual(["beta.txt"]);
      expect(names(await list("?tag=blue"))).toEqual(["gamma 50%_off.txt", "beta.txt"]);
      expect(names(await list("?q=ALPH"))).toEqual(["alpha.txt"]);
      // LIKE wildcards in q are literal characters.
      expect(names(await list(`?q=${encodeURIComponent("50%_")}`))).toEqual(["gamma 50%_off.txt"]);
      expect(names(await list("?status=queued&tag=red"))).toEqual(["epsilon.txt", "alpha.txt"]);
    });

    it("pages with an opaque cursor, without repeats or gaps", async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: PageJson = await list(`?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
        expect(page.items.length).toBeLessThanOrEqual(2);
        seen.push(...names(page));
        cursor = page.next_cursor;
        pages += 1;
      } while (cursor);
      expect(pages).toBe(3);
      expect(seen).toEqual(["epsilon.txt", "delta.txt", "gamma 50%_off.txt", "beta.txt", "alpha.txt"]);
    });

    it("refuses a tampered cursor (400) and a limit out of range (422)", async () => {
      expect(await errorCode(await get("/api/rag?cursor=bm90LWEtY3Vyc29y", tenant))).toBe("bad_request");
      expect((await get("/api/rag?limit=0", tenant)).status).toBe(422);
      expect((await get("/api/rag?limit=101", tenant)).status).toBe(422);
      expect((await get("/api/rag?status=lost", tenant)).status).toBe(422);
    });

    it("never shows another tenant's documents", async () => {
      const page = await readJson<PageJson>(await get("/api/rag?limit=100", foreignEditor));
      const ids = new Set(docs.map((doc) => doc.id));
      expect(page.items.some((doc) => ids.has(doc.id))).toBe(false);
    });
  });

  describe("GET /api/rag/{id}, progress and stats", () => {
    it("returns one document; a malformed or unknown id is a 404", async () => {
      const doc = await uploadText(t, editor.token, unique("one"));
      const res = await get(`/api/rag/${doc.id}`);
      expect(res.status).toBe(200);
      expect(await readJson<DocumentJson>(res)).toEqual(doc);
      for (const id of ["not-a-uuid", randomUUID()]) {
        const missing = await get(`/api/rag/${id}`);
        expect(missing.status).toBe(404);
        expect(await errorCode(missing)).toBe("not_found");
      }
    });

    it("reports chunks, embeddings and index points", async () => {
      const doc = await uploadText(t, editor.token, unique("progress"));
      const empty = await readJson(await get(`/api/rag/${doc.id}/progress`));
      expect(empty).toEqual({
        id: doc.id,
        status: "queued",
        stage_timestamps: {},
        chunks: 0,
        embedded: 0,
        indexed: 0,
        error: null,
      });

      const model = t.deps.embedder.model;
      const hashes = [sha256(unique("chunk a")), sha256(unique("chunk b"))];
      await t.deps.db
        .insertInto("chunks")
        .values(
          hashes.map((content_hash, idx) => ({
            document_id: doc.id,
            tenant_id: editor.tenantId,
            idx,
            text: `chunk ${idx}`,
            content_hash,
            token_count: 2,
            page: null,
          })),
        )
        .execute();
      const vector = new Float32Array([1, 0, 0]);
      await t.deps.vectorIndex.upsert(model, [
        {
          id: randomUUID(),
          tenantId: editor.tenantId,
          documentId: doc.id,
          contentHash: hashes[0] ?? "",
          vector,
          payload: {},
        },
      ]);
      const progress = await readJson(await get(`/api/rag/${doc.id}/progress`));
      expect(progress).toMatchObject({ chunks: 2, embedded: 1, indexed: 1 });
    });

    it("summarises the tenant's documents (not /api/rag/{id})", async () => {
      const team = await createTeam(t.deps);
      const a = await uploadText(t, team.editor.token, "x".repeat(10));
      await uploadText(t, team.editor.token, "y".repeat(20));
      await setStatus(t.deps, a.id, "ready");
      const res = await get("/api/rag/stats/summary", team.reader);
      expect(res.status).toBe(200);
      expect(await readJson(res)).toEqual({
        documents: 2,
        by_status: { queued: 1, ready: 1 },
        total_bytes: 30,
        chunks: 0,
      });
    });
  });

  describe("lifecycle", () => {
    it("deletes: 202 deleting, with the delete job under the pipeline key; twice is fine", async () => {
      const doc = await uploadText(t, editor.token, unique("delete"));
      const res = await t.call(`/api/rag/${doc.id}`, { method: "DELETE", token: editor.token });
      expect(res.status).toBe(202);
      expect(await readJson(res)).toEqual({ id: doc.id, status: "deleting" });
      expect((await documentRow(t.deps, doc.id))?.status).toBe("deleting");
      expect(await jobsOf(t.deps, doc.id)).toEqual([
        expect.objectContaining({ task_identifier: "ingest:delete" }),
      ]);
      const again = await t.call(`/api/rag/${doc.id}`, { method: "DELETE", token: editor.token });
      expect(again.status).toBe(202);
    });

    it("answers concurrent deletes of one document alike (202), with one delete job", async () => {
      const doc = await uploadText(t, editor.token, unique("delete together"));
      const deletes = await Promise.all(
        Array.from({ length: 5 }, () =>
          t.call(`/api/rag/${doc.id}`, { method: "DELETE", token: editor.token }),
        ),
      );
      expect(deletes.map((res) => res.status)).toEqual([202, 202, 202, 202, 202]);
      expect(await jobsOf(t.deps, doc.id)).toEqual([
        expect.objectContaining({ task_identifier: "ingest:delete" }),
      ]);
    });

    it("cancels a queued document and removes its pending job; a second cancel is a 409", async () => {
      const doc = await uploadText(t, editor.token, unique("cancel"));
      expect(await jobsOf(t.deps, doc.id)).toHaveLength(1);
      const res = await post(`/api/rag/${doc.id}/cancel`);
      expect(res.status).toBe(200);
      expect(await readJson<DocumentJson>(res)).toMatchObject({ id: doc.id, status: "canceled" });
      expect(await jobsOf(t.deps, doc.id)).toEqual([]);
      const again = await post(`/api/rag/${doc.id}/cancel`);
      expect(again.status).toBe(409);
      expect((await readJson<ErrorJson>(again)).error.details).toEqual({ status: "canceled" });
    });

    it("retries a failed document, re-adding its job; a queued one cannot be retried", async () => {
      const doc = await uploadText(t, editor.token, unique("retry"));
      expect((await post(`/api/rag/${doc.id}/retry`)).status).toBe(409);
      await t.deps.db
        .updateTable("documents")
        .set({ status: "failed", error: "extractor crashed" })
        .where("id", "=", doc.id)
        .execute();
      // Gone from the queue, as after a worker gave up on it: the retry must add a job again.
      await removePendingJob(t.deps.db, `ingest:${doc.id}`);
      expect(await jobsOf(t.deps, doc.id)).toEqual([]);
      const res = await post(`/api/rag/${doc.id}/retry`);
      expect(res.status).toBe(202);
      expect(await readJson<DocumentJson>(res)).toMatchObject({ status: "queued", error: null });
      expect(await jobsOf(t.deps, doc.id)).toEqual([
        expect.objectContaining({ task_identifier: "ingest:extract" }),
      ]);
    });

    it("reindexes only a ready document", async () => {
      const doc = await uploadText(t, editor.token, unique("reindex"));
      const refused = await post(`/api/rag/${doc.id}/reindex`);
      expect(refused.status).toBe(409);
      expect((await readJson<ErrorJson>(refused)).error.details).toEqual({ status: "queued" });
      await setStatus(t.deps, doc.id, "ready");
      const res = await post(`/api/rag/${doc.id}/reindex`);
      expect(res.status).toBe(202);
      expect(await readJson<DocumentJson>(res)).toMatchObject({ status: "embedding" });
      expect(await jobsOf(t.deps, doc.id)).toEqual([
        expect.objectContaining({ task_identifier: "ingest:embed" }),
      ]);
    });
  });

  describe("tenant isolation", () => {
    it("answers 404 on every /{id} route for another tenant's document, and leaves it alone", async () => {
      const theirs = await uploadText(t, foreignEditor.token, unique("theirs"));
      const calls: [string, string][] = [
        ["GET", `/api/rag/${theirs.id}`],
        ["GET", `/api/rag/${theirs.id}/progress`],
        ["DELETE", `/api/rag/${theirs.id}`],
        ["POST", `/api/rag/${theirs.id}/cancel`],
        ["POST", `/api/rag/${theirs.id}/retry`],
        ["POST", `/api/rag/${theirs.id}/reindex`],
        ["POST", `/api/rag/${theirs.id}/complete`],
      ];
      for (const [method, path] of calls) {
        const res = await t.call(path, { method, token: editor.token });
        expect(res.status, `${method} ${path}`).toBe(404);
        expect(await errorCode(res)).toBe("not_found");
      }
      expect((await documentRow(t.deps, theirs.id))?.status).toBe("queued");
      expect(await jobsOf(t.deps, theirs.id)).toHaveLength(1);
    });
  });
});
