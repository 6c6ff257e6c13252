import { sql } from "kysely";
import type { Scope } from "../auth/principal.ts";
import { bytesToVector } from "../embeddings/vector-bytes.ts";
import { cursorKey, decodeSearchCursor, encodeSearchCursor, searchFingerprint } from "./cursor.ts";
import { reciprocalRankFusion } from "./fusion.ts";
import { lexicalCandidates, type TextQuery, textQuery } from "./lexical.ts";
import { mmrOrder, unitVector } from "./mmr.ts";
import { validQuery } from "./query.ts";
import { pageRows, snippetOf } from "./snippets.ts";
import type { Candidate, RetrievalDeps, SearchFilter, SearchInput, SearchItem, SearchPage } from "./types.ts";
import { vectorCandidates } from "./vector.ts";

/**
 * Searches the tenant's ready documents: `lexical` (Postgres full-text), `vector` (the active embedding
 * model's index) or `hybrid` (both at once, fused by weighted reciprocal rank fusion), optionally re-ranked
 * by MMR. Each list fetches max(SEARCH_CANDIDATES, top_k) candidates; a search pages through what they
 * rank, `top_k` at a time, with a signed cursor (see cursor.ts). Snippets are made for the page only.
 */
export async function searchChunks(
  deps: RetrievalDeps,
  scope: Scope,
  input: SearchInput,
): Promise<SearchPage> {
  const { config } = deps;
  const query = validQuery(input.query, config.QUERY_MAX_CHARS);
  const filter: SearchFilter = {
    tenantId: scope.tenantId,
    documentIds: input.documentIds && [...new Set(input.documentIds)].sort(),
    tags: input.tags && [...new Set(input.tags)].sort(),
  };
  const fingerprint = searchFingerprint({
    tenant: scope.tenantId,
    query,
    mode: input.mode,
    model: input.mode === "lexical" ? null : deps.embedder.model,
    top_k: input.topK,
    min_score: input.minScore,
    mmr: input.mmr ? input.mmr.lambda : null,
    documents: filter.documentIds,
    tags: filter.tags,
  });
  const key = cursorKey(config);
  const offset = input.cursor ? decodeSearchCursor(key, input.cursor, fingerprint) : 0;
  const end = offset + input.topK;

  const text = await textQuery(deps.db, scope.tenantId, config.TEXT_SEARCH_LANGUAGE, query);
  const pool = await candidates(deps, filter, text, input);
  const ranked = input.mmr ? await diversify(deps, pool, input.mmr.lambda, end) : pool;
  const page = ranked.slice(offset, end);
  const rows = await pageRows(
    deps.db,
    text,
    page.map((c) => c.chunkId),
  );
  const items: SearchItem[] = [];
  for (const candidate of page) {
    const row = rows.get(candidate.chunkId);
    if (!row) continue; // deleted since it was ranked
    items.push({
      documentId: row.document_id,
      documentName: row.document_name,
      chunkId: row.id,
      chunkIdx: row.idx,
      page: row.page,
      score: candidate.score,
      snippet: snippetOf(row, query),
    });
  }
  return { items, nextCursor: end < pool.length ? encodeSearchCursor(key, end, fingerprint) : null };
}

/** The mode's ranked candidates; `min_score` cuts the vector list, and the lexical list in lexical mode. */
async function candidates(
  deps: RetrievalDeps,
  filter: SearchFilter,
  text: TextQuery,
  input: SearchInput,
): Promise<Candidate[]> {
  const { config } = deps;
  const depth = Math.max(config.SEARCH_CANDIDATES, input.topK);
  switch (input.mode) {
    case "lexical":
      return lexicalCandidates(deps.db, filter, text, depth, input.minScore);
    case "vector":
      return vectorCandidates(deps, filter, text.text, depth, input.minScore);
    case "hybrid": {
      const [lexical, vector] = await Promise.all([
        lexicalCandidates(deps.db, filter, text, depth),
        vectorCandidates(deps, filter, text.text, depth, input.minScore),
      ]);
      return reciprocalRankFusion(
        [
          { candidates: lexical, weight: config.HYBRID_WEIGHT_LEXICAL },
          { candidates: vector, weight: vectorWeight(deps) },
        ],
        config.RRF_K,
      );
    }
  }
}

/**
 * HYBRID_WEIGHT_VECTOR, or by default 1 for a model server and 0.5 for the built-in embedder: its list is
 * lexical evidence a second time, and at full weight chunks that both lists rank middling outrank the
 * lexical list's best (see the README's retrieval quality table).
 */
export function vectorWeight(deps: RetrievalDeps): number {
  return deps.config.HYBRID_WEIGHT_VECTOR ?? (deps.embedder.semantic ? 1 : 0.5);
}

/** The first `count` of the pool in MMR order, over the active model's stored vectors of the chunks. */
async function diversify(
  deps: RetrievalDeps,
  pool: Candidate[],
  lambda: number,
  count: number,
): Promise<Candidate[]> {
  if (pool.length === 0) return pool;
  const hashes = [...new Set(pool.map((c) => c.contentHash))];
  const rows = await deps.db
    .selectFrom("embeddings")
    .select(["content_hash", "vector"])
    .where("model", "=", deps.embedder.model)
    .where(sql<boolean>`content_hash = any(${hashes}::text[])`)
    .execute();
  const vectors = new Map(rows.map((row) => [row.content_hash, unitVector(bytesToVector(row.vector))]));
  return mmrOrder(pool, vectors, lambda, count);
}
