import type { ContentDeps } from "../content-deps.ts";

export type SearchMode = "hybrid" | "vector" | "lexical";

/** What retrieval needs from the process's dependencies (the HTTP layer and chat pass `deps`). */
export type RetrievalDeps = Pick<ContentDeps, "db" | "config" | "embedder" | "vectorIndex">;

export interface SearchInput {
  query: string;
  /** 1–100. */
  topK: number;
  mode: SearchMode;
  /** Floor on the cosine similarity (vector list) or on the normalised text rank (lexical mode). */
  minScore?: number;
  /** MMR re-ranking for diversity: false, or the relevance/diversity balance λ in [0, 1]. */
  mmr: false | { lambda: number };
  /** Only these documents. */
  documentIds?: string[];
  /** Only documents carrying at least one of these tags. */
  tags?: string[];
  cursor?: string;
}

export interface SearchItem {
  documentId: string;
  documentName: string;
  chunkId: string;
  chunkIdx: number;
  page: number | null;
  score: number;
  /** HTML-safe: the passage's text escaped, matched terms in `<mark>…</mark>`. */
  snippet: string;
}

export interface SearchPage {
  items: SearchItem[];
  nextCursor: string | null;
}

/** One chunk in a ranked candidate list, best first. */
export interface Candidate {
  chunkId: string;
  documentId: string;
  contentHash: string;
  /** The list's own score: cosine similarity, or ts_rank_cd normalised to [0, 1). */
  score: number;
}

/** Filters every list applies (the tenant always). */
export interface SearchFilter {
  tenantId: string;
  documentIds?: string[];
  tags?: string[];
}

/** A search result as the API shows it (snake_case), in `/api/rag/search` and chat citations alike. */
export function searchItemView(item: SearchItem) {
  return {
    document_id: item.documentId,
    document_name: item.documentName,
    chunk_id: item.chunkId,
    chunk_idx: item.chunkIdx,
    page: item.page,
    score: item.score,
    snippet: item.snippet,
  };
}
