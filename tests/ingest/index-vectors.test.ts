import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { bytesToVector } from "../../shared/embeddings/vector-bytes.ts";
import type { VectorIndex, VectorPoint } from "../../shared/vectors/index.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createTeam, type TestUser } from "../helpers/users.ts";
import { runningWorkers, startTestWorker, type TestWorker, waitForStatus } from "../helpers/worker.ts";
import { prose } from "../text/builders.ts";
import { chunksOf, pointRowsOf, uploadFile } from "./fixtures.ts";

describe("ingest: the index stage loads vectors only for an index that needs them", () => {
  let t: TestApp;
  let editor: TestUser;
  let worker: TestWorker | undefined;

  beforeAll(async () => {
    t = await startTestApp({ env: { CHUNK_MAX_TOKENS: "40", CHUNK_OVERLAP_TOKENS: "6" } });
    ({ editor } = await createTeam(t.deps));
  });
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
    expect(runningWorkers()).toBe(0);
  });
  afterAll(async () => {
    await t?.close();
  });

  /** The embedded index, claiming `needsVectors`, recording every point it is given. */
  function recordingIndex(needsVectors: boolean): { index: VectorIndex; upserted: VectorPoint[] } {
    const real = t.deps.vectorIndex;
    const upserted: VectorPoint[] = [];
    const index: VectorIndex = {
      ...real,
      kind: real.kind,
      needsVectors,
      async upsert(alias, points) {
        upserted.push(...points);
        return real.upsert(alias, points);
      },
    };
    return { index, upserted };
  }

  async function ingest(index: VectorIndex, seed: number) {
    worker = await startTestWorker(t, { vectorIndex: index });
    const doc = await uploadFile(t, editor.token, `${prose(10, seed)}\n\n${prose(10, seed + 1)}`, "v.txt");
    await waitForStatus(t, doc.id, "ready");
    const chunks = await chunksOf(t.deps, doc.id);
    expect(chunks.length).toBeGreaterThan(3);
    expect((await pointRowsOf(t.deps, doc.id)).length).toBe(chunks.length);
    return { documentId: doc.id, chunks };
  }

  it("leaves vectors out for the embedded index, which reads them from `embeddings`", async () => {
    const { index, upserted } = recordingIndex(false);
    const { documentId, chunks } = await ingest(index, 81);
    expect(upserted).toHaveLength(chunks.length);
    expect(upserted.every((point) => point.vector === undefined)).toBe(true);
    const [query] = await t.deps.embedder.embed([chunks[2]?.text ?? ""]);
    const [hit] = await t.deps.vectorIndex.search(
      t.deps.embedder.model,
      query as Float32Array,
      { tenantId: editor.tenantId, documentIds: [documentId] },
      1,
    );
    expect(hit?.payload.idx).toBe(2);
    expect(hit?.score).toBeCloseTo(1, 5);
  });

  it("sends each chunk's stored vector to an index that needs vectors", async () => {
    const { index, upserted } = recordingIndex(true);
    const { chunks } = await ingest(index, 91);
    expect(upserted).toHaveLength(chunks.length);
    const stored = await t.deps.db
      .selectFrom("embeddings")
      .select(["content_hash", "vector"])
      .where("model", "=", t.deps.embedder.model)
      .execute();
    const byHash = new Map(stored.map((row) => [row.content_hash, bytesToVector(row.vector)]));
    for (const point of upserted) {
      expect(point.vector).toBeInstanceOf(Float32Array);
      expect(point.vector).toEqual(byHash.get(point.contentHash));
    }
  });
});
