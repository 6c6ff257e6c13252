import type { RetrievedPassage } from "./retrieval.ts";

/** A numbered source of an answer, as sent in `meta.retrieval`, `citation` events and stored messages. */
export interface Citation {
  /** The [n] the prompt and the answer use. */
  number: number;
  document_id: string;
  document_name: string;
  chunk_id: string;
  chunk_idx: number;
  page: number | null;
  score: number;
  snippet: string;
}

export function numberedCitations(passages: RetrievedPassage[]): Citation[] {
  return passages.map((p, i) => ({
    number: i + 1,
    document_id: p.document_id,
    document_name: p.document_name,
    chunk_id: p.chunk_id,
    chunk_idx: p.chunk_idx,
    page: p.page,
    score: p.score,
    snippet: p.snippet,
  }));
}

const MARKER = /\[(\d+(?:\s*,\s*\d+)*)\]/g;

/**
 * The sources an answer cites with [n] markers ([1], [1, 3]), in number order. An answer that cites
 * none (a model that ignored the instruction) is given every source it was shown, so the reader can
 * still check it.
 */
export function citedSources(answer: string, sources: Citation[]): Citation[] {
  const cited = new Set<number>();
  for (const match of answer.matchAll(MARKER)) {
    for (const n of (match[1] ?? "").split(",")) cited.add(Number(n.trim()));
  }
  const found = sources.filter((s) => cited.has(s.number));
  return found.length > 0 ? found : sources;
}
