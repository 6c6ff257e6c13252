import { describe, expect, it } from "vitest";
import { vectorToBytes } from "../../shared/embeddings/vector-bytes.ts";
import { createScoringKernel, ROW_ALIGN } from "../../shared/vectors/scoring-kernel.ts";
import { type MatrixRow, TenantMatrix } from "../../shared/vectors/tenant-matrix.ts";
import { topK } from "../../shared/vectors/top-k.ts";

function seeded(seed: number) {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 0x100000000 - 0.5;
  };
}

describe("scoring kernel (WebAssembly SIMD)", () => {
  it("computes every row's int8 × int16 dot product exactly, rows padded to the alignment", () => {
    const random = seeded(7);
    const rows = 37;
    const dims = 21;
    const rowBytes = Math.ceil(dims / ROW_ALIGN) * ROW_ALIGN;
    expect(rowBytes).toBe(32);
    const queryOffset = rows * rowBytes;
    const outOffset = queryOffset + rowBytes * 2;
    const kernel = createScoringKernel(outOffset + rows * 4);
    const matrix = new Int8Array(kernel.memory.buffer, 0, rows * rowBytes);
    const query = new Int16Array(kernel.memory.buffer, queryOffset, rowBytes);
    const int8 = () => Math.round(random() * 254);
    for (let r = 0; r < rows; r++) for (let j = 0; j < dims; j++) matrix[r * rowBytes + j] = int8();
    for (let j = 0; j < dims; j++) query[j] = int8();
    matrix[0] = -127;
    query[0] = -127;

    kernel.scores(0, queryOffset, outOffset, rows, rowBytes);

    const out = new Int32Array(kernel.memory.buffer, outOffset, rows);
    for (let r = 0; r < rows; r++) {
      let expected = 0;
      for (let j = 0; j < dims; j++) expected += (matrix[r * rowBytes + j] as number) * (query[j] as number);
      expect(out[r]).toBe(expected);
    }
  });
});

describe("tenant matrix", () => {
  function rowsOf(vectors: Float32Array[]): MatrixRow[] {
    return vectors.map((v, i) => ({
      id: `p${i}`,
      document_id: `d${i % 3}`,
      payload: { i, tags: [i % 2 === 0 ? "even" : "odd"] },
      vector: vectorToBytes(v),
    }));
  }

  function bruteForce(vectors: Float32Array[], query: Float32Array, keep: (i: number) => boolean, k: number) {
    const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    return vectors
      .map((v, i) => ({
        i,
        score: v.reduce((s, x, j) => s + x * (query[j] as number), 0) / (norm(v) * norm(query)),
      }))
      .filter((e) => keep(e.i))
      .sort((a, b) => b.score - a.score)
      .slice(0, k)
      .map((e) => e.i);
  }

  it("stays exact when the int8 approximation cannot tell rows apart", () => {
    const random = seeded(3);
    const dims = 48;
    const n = 3000;
    const unit = (v: number[]) => {
      const norm = Math.sqrt(v.reduce((sum, x) => sum + x * x, 0));
      return v.map((x) => x / norm);
    };
    const query = unit(Array.from({ length: dims }, random));
    // The row of rank r has cosine 1 − (r+1)·1e-5 with the query: steps far below the int8 resolution,
    // far above float32's. Ranks are shuffled so row order says nothing.
    const ranks = Array.from({ length: n }, (_, r) => ({ r, key: random() }))
      .sort((a, b) => a.key - b.key)
      .map((x) => x.r);
    const vectors = ranks.map((r) => {
      const cos = 1 - (r + 1) * 1e-5;
      const sin = Math.sqrt(1 - cos * cos);
      const other = Array.from({ length: dims }, random);
      const along = other.reduce((sum, x, j) => sum + x * (query[j] as number), 0);
      const orthogonal = unit(other.map((x, j) => x - along * (query[j] as number)));
      return Float32Array.from(query, (q, j) => cos * q + sin * (orthogonal[j] as number));
    });
    const matrix = TenantMatrix.build(1, rowsOf(vectors));
    const q = Float32Array.from(query);
    for (const k of [1, 5, 50]) {
      const hits = matrix.search(q, {}, k, Number.NEGATIVE_INFINITY);
      expect(hits.map((h) => h.payload.i)).toEqual(bruteForce(vectors, q, () => true, k));
    }
    const even = matrix.search(q, { tags: ["even"] }, 7, Number.NEGATIVE_INFINITY);
    expect(even.map((h) => h.payload.i)).toEqual(bruteForce(vectors, q, (i) => i % 2 === 0, 7));
    const above = matrix.search(q, {}, 100, 1 - 20.5e-5);
    expect(above.map((h) => h.payload.i)).toEqual(bruteForce(vectors, q, () => true, 20));
  });

  it("skips rows of another size and treats zero vectors as scoring 0", () => {
    const vectors = [
      Float32Array.from([1, 0, 0]),
      Float32Array.from([0, 0, 0]),
      Float32Array.from([0.5, 0.5, 0]),
    ];
    const rows = [
      ...rowsOf(vectors),
      { id: "odd", document_id: "d", payload: {}, vector: vectorToBytes(new Float32Array(4)) },
    ];
    const matrix = TenantMatrix.build(1, rows);
    expect(matrix.size).toBe(3);
    expect(matrix.skipped).toBe(1);
    const hits = matrix.search(Float32Array.from([1, 0, 0]), {}, 3, Number.NEGATIVE_INFINITY);
    expect(hits.map((h) => h.id)).toEqual(["p0", "p2", "p1"]);
    expect(hits[0]?.score).toBeCloseTo(1, 6);
    expect(hits[1]?.score).toBeCloseTo(Math.SQRT1_2, 6);
    expect(hits[2]?.score).toBe(0);
    expect(matrix.search(new Float32Array(3), {}, 3, Number.NEGATIVE_INFINITY)).toEqual([]);
  });
});

describe("top-k selection", () => {
  function reference(scores: Float32Array, k: number, minScore: number, mask: Uint8Array | null): number[] {
    return Array.from(scores, (score, index) => ({ score, index }))
      .filter((s) => s.score >= minScore && (mask === null || mask[s.index] === 1))
      .sort((a, b) => b.score - a.score || a.index - b.index)
      .slice(0, k)
      .map((s) => s.index);
  }

  it("matches a full sort, with masks, thresholds and ties going to the lower index", () => {
    const random = seeded(11);
    for (let round = 0; round < 50; round++) {
      const n = 1 + Math.floor((random() + 0.5) * 400);
      // Coarse values make ties common.
      const scores = Float32Array.from({ length: n }, () => Math.round(random() * 20) / 10);
      const mask = round % 2 === 0 ? Uint8Array.from({ length: n }, () => (random() > 0 ? 1 : 0)) : null;
      const k = 1 + (round % 12);
      const minScore = round % 3 === 0 ? 0.3 : Number.NEGATIVE_INFINITY;
      const result = topK(scores, k, minScore, mask);
      const expected = reference(scores, k, minScore, mask);
      expect(Array.from(result.indices)).toEqual(expected);
      expect(Array.from(result.scores)).toEqual(expected.map((i) => scores[i]));
    }
  });

  it("returns nothing for k = 0 or when nothing passes", () => {
    const scores = Float32Array.from([0.1, 0.2]);
    expect(topK(scores, 0, Number.NEGATIVE_INFINITY, null).indices.length).toBe(0);
    expect(topK(scores, 5, 0.5, null).indices.length).toBe(0);
  });
});
