import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createDatabase, createPool, type Database } from "../../db/database.ts";
import { createConcurrencyLimiter } from "../../shared/backpressure.ts";
import { embedAndStore } from "../../shared/embeddings/embed-and-store.ts";
import { createHashingEmbedder } from "../../shared/embeddings/hashing-embedder.ts";
import { createOpenAiEmbedder } from "../../shared/embeddings/openai-embedder.ts";
import type { Embedder } from "../../shared/embeddings/port.ts";
import { bytesToVector, vectorToBytes } from "../../shared/embeddings/vector-bytes.ts";
import { createLogger } from "../../shared/logger.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import {
  embeddingInputs,
  type ModelServer,
  standInEmbedding,
  startModelServer,
} from "../helpers/model-server.ts";

const log = createLogger("silent");

describe("vector bytes", () => {
  it("round-trips float32 little-endian, whatever the buffer's alignment", () => {
    const vector = Float32Array.from([1, -0.5, 3.25, 1e-8]);
    const bytes = vectorToBytes(vector);
    expect(bytes.byteLength).toBe(16);
    expect(bytes.readFloatLE(4)).toBe(-0.5);
    const unaligned = Buffer.concat([Buffer.from([0xff]), bytes]).subarray(1);
    expect(Array.from(bytesToVector(unaligned))).toEqual(Array.from(vector));
    expect(() => bytesToVector(Buffer.alloc(6))).toThrow(/multiple of 4/);
  });

  it("serialises only the view, not the whole underlying buffer", () => {
    const backing = Float32Array.from([9, 1, 2, 9]);
    const bytes = vectorToBytes(backing.subarray(1, 3));
    expect(Array.from(bytesToVector(bytes))).toEqual([1, 2]);
  });
});

describe("embedAndStore", () => {
  let database: TestDatabase;
  let db: Database;
  let server: ModelServer;
  let embedder: Embedder;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = createDatabase(createPool(database.url, 2, log));
    server = await startModelServer({ dims: 8 });
    embedder = createOpenAiEmbedder({
      baseUrl: server.url,
      model: "stand-in-embed",
      alias: "stand-in",
      batchSize: 64,
      parallelBatches: 2,
      timeoutMs: 2000,
      maxRetries: 1,
      retryBaseMs: 5,
      limiter: createConcurrencyLimiter({ concurrency: 2, queueLimit: 8, name: "embeddings" }),
      log,
    });
  });
  afterAll(async () => {
    await server.close();
    await db.destroy();
    await database.drop();
  });
  beforeEach(() => server.clear());

  const storedRows = (model: string) =>
    db.selectFrom("embeddings").selectAll().where("model", "=", model).orderBy("content_hash").execute();

  it("embeds only hashes without a stored vector, once each, and a second run embeds nothing", async () => {
    const items = [
      { contentHash: "h1", text: "alpha" },
      { contentHash: "h2", text: "beta" },
      { contentHash: "h1", text: "alpha" },
      { contentHash: "h3", text: "gamma" },
    ];
    expect(await embedAndStore(db, embedder, items)).toEqual({ embedded: 3, reused: 0 });
    expect(server.requests).toHaveLength(1);
    expect(embeddingInputs(server, 0)).toEqual(["alpha", "beta", "gamma"]);

    const rows = await storedRows("stand-in");
    expect(rows.map((r) => [r.content_hash, r.dims])).toEqual([
      ["h1", 8],
      ["h2", 8],
      ["h3", 8],
    ]);
    expect(Array.from(bytesToVector((rows[1] as { vector: Buffer }).vector))).toEqual(
      standInEmbedding("beta", 8),
    );

    server.clear();
    expect(await embedAndStore(db, embedder, items)).toEqual({ embedded: 0, reused: 3 });
    expect(server.requests).toHaveLength(0);

    const more = [...items, { contentHash: "h4", text: "delta" }];
    expect(await embedAndStore(db, embedder, more)).toEqual({ embedded: 1, reused: 3 });
    expect(server.requests).toHaveLength(1);
    expect(embeddingInputs(server, 0)).toEqual(["delta"]);
  });

  it("keeps vectors per model: the same hash under another model is embedded again", async () => {
    const hashing = createHashingEmbedder({ dims: 32 });
    expect(await embedAndStore(db, hashing, [{ contentHash: "h1", text: "alpha" }])).toEqual({
      embedded: 1,
      reused: 0,
    });
    const rows = await storedRows(hashing.model);
    expect(rows).toHaveLength(1);
    expect(rows[0]?.dims).toBe(32);
    expect(await storedRows("stand-in")).toHaveLength(4);
  });

  it("stores in slices and reports progress; a throwing progress callback stops the run", async () => {
    const items = Array.from({ length: 5 }, (_, i) => ({ contentHash: `p${i}`, text: `progress ${i}` }));
    const seen: [number, number][] = [];
    await expect(
      embedAndStore(db, embedder, items, {
        sliceSize: 2,
        onProgress: (done, total) => {
          seen.push([done, total]);
          if (done >= 4) throw new Error("document canceled");
        },
      }),
    ).rejects.toThrow("document canceled");
    expect(seen).toEqual([
      [2, 5],
      [4, 5],
    ]);
    expect(server.requests).toHaveLength(2);
    // What was stored before the stop is kept: a retry embeds only the rest.
    server.clear();
    expect(await embedAndStore(db, embedder, items)).toEqual({ embedded: 1, reused: 4 });
  });

  it("does nothing for no items", async () => {
    expect(await embedAndStore(db, embedder, [])).toEqual({ embedded: 0, reused: 0 });
    expect(server.requests).toHaveLength(0);
  });
});
