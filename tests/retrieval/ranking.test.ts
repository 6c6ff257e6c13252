import { describe, expect, it } from "vitest";
import type { Embedder } from "../../shared/embeddings/port.ts";
import { ApiError } from "../../shared/errors.ts";
import {
  cursorKey,
  decodeSearchCursor,
  encodeSearchCursor,
  searchFingerprint,
} from "../../shared/retrieval/cursor.ts";
import { reciprocalRankFusion } from "../../shared/retrieval/fusion.ts";
import { mmrOrder } from "../../shared/retrieval/mmr.ts";
import { normaliseQuery, validQuery } from "../../shared/retrieval/query.ts";
import { embedQuery } from "../../shared/retrieval/query-embeddings.ts";
import type { Candidate } from "../../shared/retrieval/types.ts";

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const candidate = (n: number, score = 1, contentHash = `h${n}`): Candidate => ({
  chunkId: id(n),
  documentId: id(1000 + n),
  contentHash,
  score,
});

describe("reciprocal rank fusion", () => {
  it("puts a chunk both lists found above chunks only one found", () => {
    const lexical = [candidate(1), candidate(2), candidate(3)];
    const vector = [candidate(4), candidate(3), candidate(5)];
    const fused = reciprocalRankFusion(
      [
        { candidates: lexical, weight: 1 },
        { candidates: vector, weight: 1 },
      ],
      60,
    );
    expect(fused[0]?.chunkId).toBe(id(3));
    expect(fused.map((c) => c.chunkId).sort()).toEqual([1, 2, 3, 4, 5].map(id).sort());
  });

  it("scores Σ weight / (k + rank), scaled so first in every list is 1", () => {
    const fused = reciprocalRankFusion(
      [
        { candidates: [candidate(1), candidate(2)], weight: 1 },
        { candidates: [candidate(1)], weight: 0.5 },
      ],
      60,
    );
    expect(fused[0]).toMatchObject({ chunkId: id(1), score: 1 });
    expect(fused[1]?.score).toBeCloseTo(1 / 62 / (1.5 / 61), 10);
  });

  it("lets weights decide between the lists' favourites", () => {
    const lists = (lexicalWeight: number) =>
      reciprocalRankFusion(
        [
          { candidates: [candidate(1), candidate(2)], weight: lexicalWeight },
          { candidates: [candidate(2), candidate(1)], weight: 1 },
        ],
        60,
      )[0]?.chunkId;
    expect(lists(2)).toBe(id(1));
    expect(lists(0.5)).toBe(id(2));
  });

  it("breaks exact ties by best rank, then by the first list's rank, then by id", () => {
    const fused = reciprocalRankFusion(
      [
        { candidates: [candidate(8), candidate(7)], weight: 1 },
        { candidates: [candidate(7), candidate(8)], weight: 1 },
      ],
      60,
    );
    expect(fused.map((c) => c.chunkId)).toEqual([id(8), id(7)]);
  });

  it("treats weights that are all 0 as equal", () => {
    const fused = reciprocalRankFusion([{ candidates: [candidate(1)], weight: 0 }], 60);
    expect(fused[0]?.score).toBe(1);
  });
});

describe("MMR", () => {
  const unit = (...values: number[]) => {
    const v = Float32Array.from(values);
    const norm = Math.hypot(...values);
    return v.map((x) => x / norm);
  };
  // Three near-duplicates and one different, slightly less relevant chunk.
  const pool = [
    candidate(1, 1, "a"),
    candidate(2, 0.99, "a2"),
    candidate(3, 0.98, "a3"),
    candidate(4, 0.9, "b"),
  ];
  const vectors = new Map([
    ["a", unit(1, 0, 0)],
    ["a2", unit(1, 0.01, 0)],
    ["a3", unit(1, 0, 0.01)],
    ["b", unit(0, 1, 0)],
  ]);

  it("demotes near-duplicates", () => {
    const order = mmrOrder(pool, vectors, 0.5, 4).map((c) => c.chunkId);
    expect(order.slice(0, 2)).toEqual([id(1), id(4)]);
  });

  it("keeps the relevance order with lambda 1", () => {
    expect(mmrOrder(pool, vectors, 1, 4).map((c) => c.chunkId)).toEqual(pool.map((c) => c.chunkId));
  });

  it("is prefix-stable: the first n picks do not depend on how many follow", () => {
    const long = mmrOrder(pool, vectors, 0.3, 4);
    expect(mmrOrder(pool, vectors, 0.3, 2)).toEqual(long.slice(0, 2));
  });

  it("treats a chunk without a vector as similar to nothing", () => {
    const order = mmrOrder([candidate(1, 1, "a"), candidate(2, 0.9, "missing")], vectors, 0.5, 2);
    expect(order.map((c) => c.chunkId)).toEqual([id(1), id(2)]);
  });
});

describe("search cursors", () => {
  const config = { BLOB_SIGNING_SECRET: "s".repeat(32), JWT_KEYS: undefined, DATA_DIR: "/nonexistent" };
  const key = cursorKey(config);
  const fingerprint = searchFingerprint({ tenant: "t1", query: "q", top_k: 5 });

  it("round-trips an offset for the same search", () => {
    expect(decodeSearchCursor(key, encodeSearchCursor(key, 15, fingerprint), fingerprint)).toBe(15);
  });

  it("refuses a cursor signed with another deployment's key", () => {
    const otherKey = cursorKey({ ...config, BLOB_SIGNING_SECRET: "t".repeat(32) });
    expect(() => decodeSearchCursor(key, encodeSearchCursor(otherKey, 5, fingerprint), fingerprint)).toThrow(
      ApiError,
    );
  });

  it("refuses a cursor of another search", () => {
    const cursor = encodeSearchCursor(key, 5, fingerprint);
    const other = searchFingerprint({ tenant: "t2", query: "q", top_k: 5 });
    expect(() => decodeSearchCursor(key, cursor, other)).toThrow(/another search/);
  });

  it("fingerprints parameters regardless of their order, and tells values apart", () => {
    expect(searchFingerprint({ a: 1, b: [1, 2] })).toBe(searchFingerprint({ b: [1, 2], a: 1 }));
    expect(searchFingerprint({ a: 1, b: [1, 2] })).not.toBe(searchFingerprint({ a: 1, b: [2, 1] }));
    expect(searchFingerprint({ a: undefined })).toBe(searchFingerprint({ a: null }));
  });
});

describe("query embedding cache", () => {
  function countingEmbedder(model: string) {
    const calls: string[] = [];
    let fail = false;
    const embedder: Embedder = {
      kind: "hashing",
      model,
      dims: 2,
      semantic: false,
      async embed(texts) {
        calls.push(...texts);
        if (fail) throw new Error("model server down");
        return texts.map((text) => Float32Array.of(text.length, 1));
      },
    };
    return { embedder, calls, failNext: (value: boolean) => (fail = value) };
  }

  it("embeds a query once per model, sharing concurrent calls", async () => {
    const { embedder, calls } = countingEmbedder("m1");
    const [a, b] = await Promise.all([
      embedQuery(embedder, "leave policy"),
      embedQuery(embedder, "leave policy"),
    ]);
    expect(await embedQuery(embedder, "leave policy")).toBe(a);
    expect(b).toBe(a);
    expect(calls).toEqual(["leave policy"]);
    const other = countingEmbedder("m2");
    await embedQuery(other.embedder, "leave policy");
    expect(other.calls).toEqual(["leave policy"]);
  });

  it("does not keep a failure", async () => {
    const { embedder, calls, failNext } = countingEmbedder("m3");
    failNext(true);
    await expect(embedQuery(embedder, "q")).rejects.toThrow("model server down");
    failNext(false);
    await expect(embedQuery(embedder, "q")).resolves.toBeInstanceOf(Float32Array);
    expect(calls).toEqual(["q", "q"]);
  });
});

describe("queries", () => {
  it("are normalised: NFKC, invisible characters out, whitespace collapsed", () => {
    expect(normaliseQuery("  ﬁle\u0000 sizes\u200b\n\tin  ｋｂ ")).toBe("file sizes in kb");
  });

  it("are refused when empty or too long, with a 422", () => {
    for (const raw of ["", " \n ", "\u200b\u0000"]) {
      expect(() => validQuery(raw, 100)).toThrow(expect.objectContaining({ status: 422 }));
    }
    expect(() => validQuery("x".repeat(101), 100)).toThrow(expect.objectContaining({ status: 422 }));
    expect(validQuery(`${"x".repeat(100)}   `, 100)).toBe("x".repeat(100));
  });
});
