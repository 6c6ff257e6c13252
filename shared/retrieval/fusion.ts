import { compareIds } from "./ranking.ts";
import type { Candidate } from "./types.ts";

export interface RankedList {
  candidates: Candidate[];
  weight: number;
}

/**
 * Weighted reciprocal rank fusion (Cormack et al., 2009): score(c) = Σ_lists weight / (k + rank(c)),
 * ranks 1-based. Scores are divided by the best possible (first in every list), so they lie in (0, 1] and
 * a chunk ranked first by every list scores 1. Ties go to the better best rank, then to the better rank in
 * the lists in the order given, then to the chunk id: the order is total, so pages are stable. Weights
 * that are all 0 count as equal.
 */
export function reciprocalRankFusion(lists: RankedList[], k: number): Candidate[] {
  const total = lists.reduce((sum, list) => sum + list.weight, 0);
  const weights = lists.map((list) => (total > 0 ? list.weight : 1));
  const best = weights.reduce((sum, weight) => sum + weight / (k + 1), 0);
  const fused = new Map<string, { candidate: Candidate; score: number; ranks: number[] }>();
  lists.forEach((list, l) => {
    const weight = weights[l] as number;
    list.candidates.forEach((candidate, index) => {
      const rank = index + 1;
      let entry = fused.get(candidate.chunkId);
      if (!entry) {
        entry = { candidate, score: 0, ranks: lists.map(() => Number.POSITIVE_INFINITY) };
        fused.set(candidate.chunkId, entry);
      }
      entry.score += weight / (k + rank);
      entry.ranks[l] = Math.min(entry.ranks[l] as number, rank);
    });
  });
  return [...fused.values()]
    .sort(
      (a, b) =>
        b.score - a.score ||
        compareRanks(a.ranks, b.ranks) ||
        compareIds(a.candidate.chunkId, b.candidate.chunkId),
    )
    .map((entry) => ({ ...entry.candidate, score: best > 0 ? entry.score / best : 0 }));
}

function compareRanks(a: number[], b: number[]): number {
  const bestA = Math.min(...a);
  const bestB = Math.min(...b);
  if (bestA !== bestB) return bestA - bestB;
  for (let i = 0; i < a.length; i++) {
    const ra = a[i] as number;
    const rb = b[i] as number;
    if (ra !== rb) return ra < rb ? -1 : 1;
  }
  return 0;
}
