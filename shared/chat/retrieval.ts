import type { Scope } from "../auth/principal.ts";

export type RetrievalMode = "hybrid" | "vector" | "lexical";

/** What a chat question asks of retrieval (the `rag_params` of a message). */
export interface RetrievalParams {
  query: string;
  top_k: number;
  mode: RetrievalMode;
  /** Only these documents. */
  doc_id?: string[];
  /** Only documents carrying at least one of these tags. */
  tags?: string[];
  min_score?: number;
}

/** One retrieved chunk; `text` is the whole chunk when the retriever has it at hand. */
export interface RetrievedPassage {
  document_id: string;
  document_name: string;
  chunk_id: string;
  chunk_idx: number;
  page: number | null;
  score: number;
  snippet: string;
  text?: string;
}

/** The narrow retrieval contract chats need: tenant-scoped, best first. */
export type Retrieve = (scope: Scope, params: RetrievalParams) => Promise<RetrievedPassage[]>;
