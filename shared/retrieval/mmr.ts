import type { Candidate } from "./types.ts";

/**
 * Maximal marginal relevance (Carbonell & Goldstein, 1998), greedy: each pick maximises
 * λ·relevance − (1 − λ)·(highest cosine similarity to a chunk already picked), relevance being the score
 * over the pool's best (negative scores count as 0). Greedy picks do not depend on how many follow, so the
 * first n of a longer run are the same n: pages stay stable. A chunk without a vector (not embedded with
 * the active model) is similar to nothing. Returns the first `count` picks, in order.
 */
export function mmrOrder<T extends Candidate>(
  pool: T[],
  vectors: Map<string, Float32Array>,
  lambda: number,
  count: number,
): T[] {
  const n = pool.length;
  const picks = Math.min(count, n);
  if (picks === 0) return [];
  const max = pool.reduce((best, item) => Math.max(best, item.score), 0);
  const relevance = pool.map((item) => (max > 0 ? Math.max(0, item.score) / max : 1));
  const unit = pool.map((item) => vectors.get(item.contentHash) ?? null);
  const closest = new Float64Array(n).fill(Number.NEGATIVE_INFINITY);
  const taken = new Uint8Array(n);
  const order: T[] = [];
  for (let step = 0; step < picks; step++) {
    let bestIndex = -1;
    let bestValue = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < n; i++) {
      if (taken[i] === 1) continue;
      const penalty = step === 0 ? 0 : (closest[i] as number);
      const value = lambda * (relevance[i] as number) - (1 - lambda) * penalty;
      if (value > bestValue) {
        bestValue = value;
        bestIndex = i;
      }
    }
    taken[bestIndex] = 1;
    order.push(pool[bestIndex] as T);
    const picked = unit[bestIndex] ?? null;
    for (let i = 0; i < n; i++) {
      if (taken[i] === 1) continue;
      const other = unit[i] ?? null;
      const similarity = picked && other && picked.length === other.length ? dot(picked, other) : 0;
      if (similarity > (closest[i] as number)) closest[i] = similarity;
    }
  }
  return order;
}

function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}

/** The vector scaled to length 1 (the zero vector stays zero). */
export function unitVector(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += (vector[i] as number) * (vector[i] as number);
  if (sum === 0) return vector;
  const scale = 1 / Math.sqrt(sum);
  return vector.map((value) => value * scale);
}
