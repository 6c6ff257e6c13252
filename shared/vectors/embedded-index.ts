import { type Kysely, type RawBuilder, sql } from "kysely";
import type { DB } from "../../db/types.ts";
import { vectorToBytes } from "../embeddings/vector-bytes.ts";
import type { Logger } from "../logger.ts";
import { type PointScope, storedPayload, type VectorIndex, type VectorPoint } from "./port.ts";
import { type MatrixRow, TenantMatrix } from "./tenant-matrix.ts";

export interface EmbeddedIndexOptions {
  /** Memory for cached tenant matrices; the least recently searched are dropped beyond it (default 512 MiB). */
  cacheBytes?: number;
}

const UPSERT_CHUNK = 1000;

/**
 * Exact search over the vectors Postgres already holds: points live in `vector_points`, their vectors in
 * `embeddings` (model = collection name). Each (collection, tenant) is searched from an in-memory matrix
 * that is reloaded only when `vector_index_versions` says the tenant's points changed: every write bumps
 * that version in the same statement, so other processes see the change on their next search.
 */
export function createEmbeddedVectorIndex(
  db: Kysely<DB>,
  log: Logger,
  options: EmbeddedIndexOptions = {},
): VectorIndex {
  const cacheBytes = options.cacheBytes ?? 512 * 1024 * 1024;
  /** Insertion order is recency: a hit is moved to the end, eviction takes from the front. */
  const cache = new Map<string, TenantMatrix>();
  const loading = new Map<string, Promise<TenantMatrix>>();

  async function resolve(alias: string): Promise<string> {
    const row = await db
      .selectFrom("vector_aliases")
      .select("collection")
      .where("alias", "=", alias)
      .executeTakeFirst();
    return row?.collection ?? alias;
  }

  function touch(key: string, matrix: TenantMatrix): void {
    cache.delete(key);
    cache.set(key, matrix);
  }

  /** Caches a loaded matrix (unless a newer one got there first) and evicts beyond the budget. */
  function remember(key: string, matrix: TenantMatrix): void {
    const current = cache.get(key);
    if (current && current.version > matrix.version) return;
    touch(key, matrix);
    let total = 0;
    for (const entry of cache.values()) total += entry.bytes;
    for (const [oldKey, entry] of cache) {
      if (total <= cacheBytes || oldKey === key) break;
      cache.delete(oldKey);
      total -= entry.bytes;
    }
  }

  async function load(collection: string, tenantId: string, version: number): Promise<TenantMatrix> {
    const key = `${collection}\u0000${tenantId}`;
    const cached = cache.get(key);
    if (cached && cached.version >= version) {
      touch(key, cached);
      return cached;
    }
    const flightKey = `${key}\u0000${version}`;
    let flight = loading.get(flightKey);
    if (!flight) {
      flight = (async () => {
        const rows = await db
          .selectFrom("vector_points as p")
          .innerJoin("embeddings as e", (join) =>
            join.onRef("e.model", "=", "p.collection").onRef("e.content_hash", "=", "p.content_hash"),
          )
          .select(["p.id", "p.document_id", "p.payload", "e.vector"])
          .where("p.collection", "=", collection)
          .where("p.tenant_id", "=", tenantId)
          .execute();
        const matrix = TenantMatrix.build(version, rows satisfies MatrixRow[]);
        if (matrix.skipped > 0) {
          log.warn(
            { collection, tenant_id: tenantId, skipped: matrix.skipped, dims: matrix.dims },
            "vector index: points whose vector size differs from the collection's were skipped",
          );
        }
        remember(key, matrix);
        return matrix;
      })().finally(() => loading.delete(flightKey));
      loading.set(flightKey, flight);
    }
    return flight;
  }

  /** Runs a statement whose CTE `changed` returns the tenant_id of each changed point, bumping versions. */
  async function changeAndBump(collection: string, changed: RawBuilder<unknown>): Promise<void> {
    await sql`
      with changed as (${changed}),
      bumped as (
        insert into vector_index_versions (collection, tenant_id, version)
        select ${collection}::text, tenant_id, 1 from (select distinct tenant_id from changed) t
        on conflict (collection, tenant_id) do update set version = vector_index_versions.version + 1
      )
      select count(*) as n from changed`.execute(db);
  }

  async function storeMissingVectors(collection: string, points: VectorPoint[]): Promise<void> {
    const byHash = new Map<string, Float32Array>();
    for (const point of points) if (point.vector) byHash.set(point.contentHash, point.vector);
    if (byHash.size === 0) return;
    await db
      .insertInto("embeddings")
      .values(
        [...byHash].map(([contentHash, vector]) => ({
          model: collection,
          content_hash: contentHash,
          dims: vector.length,
          vector: vectorToBytes(vector),
        })),
      )
      .onConflict((oc) => oc.columns(["model", "content_hash"]).doNothing())
      .execute();
  }

  return {
    kind: "embedded",
    needsVectors: false,

    async ensureCollection(name, dims) {
      // Nothing to create: a collection is the set of points naming it. Its size is its vectors' size.
      const collection = await resolve(name);
      const stored = await db
        .selectFrom("embeddings")
        .select("dims")
        .where("model", "=", collection)
        .limit(1)
        .executeTakeFirst();
      if (stored && stored.dims !== dims) {
        throw new Error(`collection ${collection} holds vectors of ${stored.dims} dimensions, not ${dims}`);
      }
    },

    async upsert(alias, points) {
      if (points.length === 0) return;
      const collection = await resolve(alias);
      // Last one wins when an id repeats (one statement cannot update a row twice).
      const unique = [...new Map(points.map((p) => [p.id, p])).values()];
      for (let at = 0; at < unique.length; at += UPSERT_CHUNK) {
        const chunk = unique.slice(at, at + UPSERT_CHUNK);
        await storeMissingVectors(collection, chunk);
        const rows = JSON.stringify(
          chunk.map((p) => ({
            id: p.id,
            tenant_id: p.tenantId,
            document_id: p.documentId,
            content_hash: p.contentHash,
            payload: storedPayload(p),
          })),
        );
        // Unchanged points are not "changed": re-indexing identical content keeps caches valid.
        await changeAndBump(
          collection,
          sql`
            insert into vector_points (collection, id, tenant_id, document_id, content_hash, payload)
            select ${collection}, r.id, r.tenant_id, r.document_id, r.content_hash, r.payload
            from jsonb_to_recordset(${rows}::jsonb)
              as r(id uuid, tenant_id uuid, document_id uuid, content_hash text, payload jsonb)
            on conflict (collection, id) do update
              set tenant_id = excluded.tenant_id, document_id = excluded.document_id,
                  content_hash = excluded.content_hash, payload = excluded.payload
              where (vector_points.tenant_id, vector_points.document_id, vector_points.content_hash,
                     vector_points.payload)
                is distinct from (excluded.tenant_id, excluded.document_id, excluded.content_hash,
                                  excluded.payload)
            returning tenant_id`,
        );
      }
    },

    async search(alias, vector, filter, limit, minScore) {
      if (filter.documentIds?.length === 0 || filter.tags?.length === 0) return [];
      const state = await sql<{ collection: string; version: number | null }>`
        select r.collection, v.version
        from (select coalesce((select collection from vector_aliases where alias = ${alias}), ${alias}::text)
          as collection) r
        left join vector_index_versions v on v.collection = r.collection and v.tenant_id = ${filter.tenantId}
      `.execute(db);
      const row = state.rows[0];
      if (!row || row.version === null) return [];
      const matrix = await load(row.collection, filter.tenantId, row.version);
      return matrix.search(vector, filter, limit, minScore ?? Number.NEGATIVE_INFINITY);
    },

    async deleteByFilter(alias, scope) {
      const collection = await resolve(alias);
      await changeAndBump(
        collection,
        sql`delete from vector_points
            where collection = ${collection} and tenant_id = ${scope.tenantId}
              and document_id = ${scope.documentId}
            returning tenant_id`,
      );
    },

    async deletePoints(alias, ids) {
      if (ids.length === 0) return;
      const collection = await resolve(alias);
      await changeAndBump(
        collection,
        sql`delete from vector_points where collection = ${collection} and id = any(${ids}::uuid[])
            returning tenant_id`,
      );
    },

    async count(alias, scope) {
      const collection = await resolve(alias);
      const row = await scoped(db, collection, scope)
        .select((eb) => eb.fn.countAll<number>().as("n"))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async listPointIds(alias, scope) {
      const collection = await resolve(alias);
      const rows = await scoped(db, collection, scope).select("id").orderBy("id").execute();
      return rows.map((r) => r.id);
    },

    async switchAlias(alias, collection) {
      await db
        .insertInto("vector_aliases")
        .values({ alias, collection, updated_at: sql`now()` })
        .onConflict((oc) => oc.column("alias").doUpdateSet({ collection, updated_at: sql`now()` }))
        .execute();
    },
  };
}

function scoped(db: Kysely<DB>, collection: string, scope: PointScope) {
  let query = db
    .selectFrom("vector_points")
    .where("collection", "=", collection)
    .where("tenant_id", "=", scope.tenantId);
  if (scope.documentId !== undefined) query = query.where("document_id", "=", scope.documentId);
  return query;
}
