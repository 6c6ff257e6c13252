import { searchChunks } from "../retrieval/search.ts";
import { type RetrievalDeps, searchItemView } from "../retrieval/types.ts";
import type { Retrieve } from "./retrieval.ts";

/**
 * Chat retrieval through the search verb of `POST /api/rag/search` (same modes, filters and scores). A
 * question longer than a search query may be is searched by its beginning.
 */
export function chatRetriever(deps: RetrievalDeps): Retrieve {
  return async (scope, params) => {
    const page = await searchChunks(deps, scope, {
      query: params.query.replace(/\s+/g, " ").trim().slice(0, deps.config.QUERY_MAX_CHARS),
      topK: params.top_k,
      mode: params.mode,
      minScore: params.min_score,
      mmr: false,
      documentIds: params.doc_id,
      tags: params.tags,
    });
    return page.items.map(searchItemView);
  };
}
