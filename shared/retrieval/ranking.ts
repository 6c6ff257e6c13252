import type { Candidate } from "./types.ts";

/** UUIDs in the order Postgres sorts them (lowercase hex compares like the bytes). */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Best score first, ties by chunk id: a total order, so pages of the same search never overlap. */
export function byScore(a: Candidate, b: Candidate): number {
  return b.score - a.score || compareIds(a.chunkId, b.chunkId);
}
