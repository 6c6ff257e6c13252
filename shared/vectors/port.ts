export type VectorIndexKind = "embedded" | "qdrant";

export interface VectorPoint {
  /** A UUID; use `pointId()` so a re-index overwrites instead of duplicating. */
  id: string;
  tenantId: string;
  documentId: string;
  contentHash: string;
  /**
   * Required by Qdrant. The embedded index reads vectors from `embeddings` (model = collection name) and
   * only stores this one there when that row is missing.
   */
  vector?: Float32Array;
  payload: Record<string, unknown>;
}

export interface VectorFilter {
  /** Always applied: a search never crosses tenants. */
  tenantId: string;
  /** Only these documents; an empty list matches nothing, omit it to not filter. */
  documentIds?: string[];
  /** Points whose `payload.tags` shares at least one tag; an empty list matches nothing. */
  tags?: string[];
}

export interface VectorHit {
  id: string;
  /** Cosine similarity, in [-1, 1]. */
  score: number;
  /** The upserted payload plus `tenant_id`, `document_id` and `content_hash`. */
  payload: Record<string, unknown>;
}

export interface PointScope {
  tenantId: string;
  documentId?: string;
}

/**
 * The vector index: a derived copy of what Postgres knows, rebuildable at any time. Operations take a
 * collection name or an alias pointing at one (`switchAlias`), so a new model can be indexed on the side
 * and switched to at once.
 */
export interface VectorIndex {
  readonly kind: VectorIndexKind;
  /**
   * Whether upserted points must carry their vectors. The embedded index reads them from `embeddings`,
   * so a caller whose vectors are stored there need not load them only for the index to drop them.
   */
  readonly needsVectors: boolean;
  /** Creates the collection (cosine, `dims`) unless it exists; throws when it exists with another size. */
  ensureCollection(collection: string, dims: number): Promise<void>;
  /** Inserts or replaces points by id. */
  upsert(alias: string, points: VectorPoint[]): Promise<void>;
  /** The `limit` nearest points of the filter by cosine similarity, best first, at or above `minScore`. */
  search(
    alias: string,
    vector: Float32Array,
    filter: VectorFilter,
    limit: number,
    minScore?: number,
  ): Promise<VectorHit[]>;
  deleteByFilter(alias: string, scope: Required<PointScope>): Promise<void>;
  deletePoints(alias: string, ids: string[]): Promise<void>;
  count(alias: string, scope: PointScope): Promise<number>;
  /** Every point id of the scope, sorted (for reconciliation with Postgres). */
  listPointIds(alias: string, scope: PointScope): Promise<string[]>;
  /** Points `alias` at `collection` (created or moved atomically). */
  switchAlias(alias: string, collection: string): Promise<void>;
}

/** What every adapter stores as payload: the caller's fields plus the ones filters need. */
export function storedPayload(point: VectorPoint): Record<string, unknown> {
  return {
    ...point.payload,
    tenant_id: point.tenantId,
    document_id: point.documentId,
    content_hash: point.contentHash,
  };
}
