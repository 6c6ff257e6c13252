import type { Kysely } from "kysely";
import type { DB } from "../../db/types.ts";
import { embedQuery } from "./query-embeddings.ts";
import { byScore } from "./ranking.ts";
import type { Candidate, RetrievalDeps, SearchFilter } from "./types.ts";

/**
 * Nearest chunks by cosine similarity in the active model's index (`embedder.model`, an alias the index
 * resolves), with the tenant, document and tag filters pushed into the index; minus chunks of documents
 * that are not `ready` now (the index still holds the points of a document being re-indexed, deleted, or
 * that failed a re-index), looked up while the index searches. Best first, ties by chunk id.
 */
export async function vectorCandidates(
  deps: RetrievalDeps,
  filter: SearchFilter,
  text: string,
  limit: number,
  minScore?: number,
): Promise<Candidate[]> {
  if (filter.documentIds?.length === 0 || filter.tags?.length === 0) return [];
  const [hits, hidden] = await Promise.all([
    embedQuery(deps.embedder, text).then((vector) =>
      deps.vectorIndex.search(deps.embedder.model, vector, filter, limit, minScore),
    ),
    documentsNotReady(deps.db, filter.tenantId),
  ]);
  const candidates: Candidate[] = [];
  for (const hit of hits) {
    const { chunk_id: chunkId, document_id: documentId, content_hash: contentHash } = hit.payload;
    if (typeof chunkId !== "string" || typeof documentId !== "string" || typeof contentHash !== "string") {
      continue;
    }
    if (!hidden.has(documentId)) candidates.push({ chunkId, documentId, contentHash, score: hit.score });
  }
  return candidates.sort(byScore);
}

/** The tenant's documents in any status but `ready`: usually the few being ingested, or failed. */
async function documentsNotReady(db: Kysely<DB>, tenantId: string): Promise<Set<string>> {
  const rows = await db
    .selectFrom("documents")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("status", "<>", "ready")
    .execute();
  return new Set(rows.map((row) => row.id));
}
