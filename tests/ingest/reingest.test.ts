import iconv from "iconv-lite";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import { embeddingInputs, type ModelServer, startModelServer } from "../helpers/model-server.ts";
import { createTeam, type TestUser } from "../helpers/users.ts";
import {
  type DocumentJson,
  runningWorkers,
  startTestWorker,
  type TestWorker,
  waitForGone,
  waitForStatus,
} from "../helpers/worker.ts";
import { prose } from "../text/builders.ts";
import { chunksOf, pointRowsOf, uploadFile } from "./fixtures.ts";

const TEXT = `# Field notes\n\n${prose(12, 31)}\n\n## Second part\n\n${prose(12, 32)}`;

describe("ingest: unchanged content is never embedded twice", () => {
  let t: TestApp;
  let model: ModelServer;
  let worker: TestWorker;
  let editor: TestUser;

  beforeAll(async () => {
    model = await startModelServer({ dims: 24 });
    t = await startTestApp({
      env: {
        CHUNK_MAX_TOKENS: "48",
        CHUNK_OVERLAP_TOKENS: "8",
        EMBEDDINGS_URL: model.url,
        EMBEDDINGS_MODEL: "stand-in-embed",
        EMBEDDINGS_BATCH_SIZE: "4",
      },
    });
    ({ editor } = await createTeam(t.deps));
    worker = await startTestWorker(t);
  });
  beforeEach(() => model.clear());
  afterAll(async () => {
    await worker?.stop();
    expect(runningWorkers()).toBe(0);
    await t?.close();
    await model?.close();
  });

  const embeddedTexts = () => model.requests.flatMap((_, i) => embeddingInputs(model, i));

  async function ingest(bytes: Uint8Array | string, name: string): Promise<DocumentJson> {
    const doc = await uploadFile(t, editor.token, bytes, name);
    const ready = await waitForStatus(t, doc.id, "ready");
    const chunks = await chunksOf(t.deps, doc.id);
    expect((await pointRowsOf(t.deps, doc.id)).length).toBe(chunks.length);
    return ready;
  }

  async function hashesOf(id: string): Promise<string[]> {
    return (await chunksOf(t.deps, id)).map((c) => c.content_hash);
  }

  it("the same text in another wrapper (UTF-16 instead of UTF-8) embeds nothing new", async () => {
    const first = await ingest(TEXT, "notes.md");
    const firstHashes = await hashesOf(first.id);
    expect(firstHashes.length).toBeGreaterThan(3);
    // Every distinct chunk went to the model server once, in batches of at most 4.
    expect(embeddedTexts()).toHaveLength(new Set(firstHashes).size);
    expect(model.requests.every((_, i) => embeddingInputs(model, i).length <= 4)).toBe(true);

    model.clear();
    const utf16 = iconv.encode(TEXT, "utf-16le", { addBOM: true });
    const second = await ingest(utf16, "notes-utf16.md");
    expect(second.content_hash).not.toBe(first.content_hash);
    expect(await hashesOf(second.id)).toEqual(firstHashes);
    expect(model.requests).toHaveLength(0);
  });

  it("a document re-uploaded after its deletion embeds nothing new", async () => {
    const text = `${prose(10, 41)}\n\n${prose(10, 42)}`;
    const original = await ingest(text, "again.txt");
    expect(embeddedTexts().length).toBeGreaterThan(0);

    const deleted = await t.call(`/api/rag/${original.id}`, { method: "DELETE", token: editor.token });
    expect(deleted.status).toBe(202);
    await waitForGone(t, original.id, editor.token);
    model.clear();

    const again = await ingest(text, "again.txt");
    expect(again.id).not.toBe(original.id);
    expect(again.content_hash).toBe(original.content_hash);
    expect(model.requests).toHaveLength(0);
  });

  it("reindex with an unchanged model embeds nothing and ends ready", async () => {
    const doc = await ingest(`${prose(9, 51)}\n\n${prose(9, 52)}`, "reindex.txt");
    const before = await chunksOf(t.deps, doc.id);
    const pointsBefore = (await pointRowsOf(t.deps, doc.id)).map((p) => p.id).sort();
    model.clear();

    const res = await t.call(`/api/rag/${doc.id}/reindex`, { method: "POST", token: editor.token });
    expect(res.status).toBe(202);
    expect((await readJson<DocumentJson>(res)).status).toBe("embedding");
    const ready = await waitForStatus(t, doc.id, "ready");

    expect(model.requests).toHaveLength(0);
    // Embed and index ran again; extract and chunk did not.
    expect(Date.parse(ready.stage_timestamps.embed?.started_at ?? "")).toBeGreaterThan(
      Date.parse(doc.stage_timestamps.index?.ended_at ?? ""),
    );
    expect(ready.stage_timestamps.index?.ended_at).not.toBe(doc.stage_timestamps.index?.ended_at);
    expect(ready.stage_timestamps.extract).toEqual(doc.stage_timestamps.extract);
    expect(ready.stage_timestamps.chunk).toEqual(doc.stage_timestamps.chunk);
    expect(await chunksOf(t.deps, doc.id)).toEqual(before);
    expect((await pointRowsOf(t.deps, doc.id)).map((p) => p.id).sort()).toEqual(pointsBefore);
  });
});
