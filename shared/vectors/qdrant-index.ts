import type { QdrantClient, Schemas } from "@qdrant/js-client-rest";
import type { Logger } from "../logger.ts";
import { type PointScope, storedPayload, type VectorFilter, type VectorIndex } from "./port.ts";

const UPSERT_BATCH = 256;
const SCROLL_PAGE = 1000;

type Condition = Schemas["FieldCondition"];

function scopeFilter(scope: PointScope): Schemas["Filter"] {
  const must: Condition[] = [{ key: "tenant_id", match: { value: scope.tenantId } }];
  if (scope.documentId !== undefined) must.push({ key: "document_id", match: { value: scope.documentId } });
  return { must };
}

function searchFilter(filter: VectorFilter): Schemas["Filter"] {
  const must: Condition[] = [{ key: "tenant_id", match: { value: filter.tenantId } }];
  if (filter.documentIds) must.push({ key: "document_id", match: { any: filter.documentIds } });
  if (filter.tags) must.push({ key: "tags", match: { any: filter.tags } });
  return { must };
}

function isNotFound(error: unknown): boolean {
  return (error as { status?: unknown }).status === 404;
}

/** A collection that does not exist yet holds nothing: reads answer empty instead of failing. */
async function orWhenMissing<T>(read: Promise<T>, empty: T): Promise<T> {
  try {
    return await read;
  } catch (error) {
    if (isNotFound(error)) return empty;
    throw error;
  }
}

/**
 * Qdrant: one collection per embedding model alias (cosine), a `tenant_id` keyword index with
 * `is_tenant: true` so each tenant's points are stored together, keyword indexes on `document_id` and
 * `tags`, Qdrant aliases for switching collections, and `wait: true` on every write so a write is
 * searchable when it returns.
 */
export function createQdrantVectorIndex(client: QdrantClient, log: Logger): VectorIndex {
  async function collectionOf(name: string): Promise<string | null> {
    if ((await client.collectionExists(name)).exists) return name;
    const { aliases } = await client.getAliases();
    return aliases.find((a) => a.alias_name === name)?.collection_name ?? null;
  }

  async function ensurePayloadIndexes(collection: string, existing: Set<string>): Promise<void> {
    const wanted: [string, Schemas["PayloadFieldSchema"]][] = [
      ["tenant_id", { type: "keyword", is_tenant: true }],
      ["document_id", "keyword"],
      ["tags", "keyword"],
    ];
    for (const [field, schema] of wanted) {
      if (existing.has(field)) continue;
      await client.createPayloadIndex(collection, { field_name: field, field_schema: schema, wait: true });
    }
  }

  return {
    kind: "qdrant",
    needsVectors: true,

    async ensureCollection(name, dims) {
      let collection = await collectionOf(name);
      if (collection === null) {
        try {
          await client.createCollection(name, { vectors: { size: dims, distance: "Cosine" } });
          log.info({ collection: name, dims }, "qdrant collection created");
        } catch (error) {
          // Another process may have created it first; anything else is a real failure.
          if (!(await client.collectionExists(name)).exists) throw error;
        }
        collection = name;
      }
      const info = await client.getCollection(collection);
      const vectors = info.config.params.vectors;
      const size = vectors && "size" in vectors ? vectors.size : undefined;
      if (size !== dims) {
        throw new Error(
          `qdrant collection ${collection} holds vectors of ${String(size)} dimensions, not ${dims}`,
        );
      }
      await ensurePayloadIndexes(collection, new Set(Object.keys(info.payload_schema ?? {})));
    },

    async upsert(alias, points) {
      const unique = [...new Map(points.map((p) => [p.id, p])).values()];
      for (let at = 0; at < unique.length; at += UPSERT_BATCH) {
        const batch = unique.slice(at, at + UPSERT_BATCH).map((point) => {
          if (!point.vector) throw new Error(`qdrant needs the vector of point ${point.id}`);
          return { id: point.id, vector: Array.from(point.vector), payload: storedPayload(point) };
        });
        await client.upsert(alias, { wait: true, points: batch });
      }
    },

    async search(alias, vector, filter, limit, minScore) {
      if (limit <= 0 || filter.documentIds?.length === 0 || filter.tags?.length === 0) return [];
      const result = await orWhenMissing(
        client.query(alias, {
          query: Array.from(vector),
          filter: searchFilter(filter),
          limit,
          with_payload: true,
          ...(minScore === undefined ? {} : { score_threshold: minScore }),
        }),
        { points: [] },
      );
      return result.points.map((point) => ({
        id: String(point.id),
        score: point.score,
        payload: { ...(point.payload ?? {}) },
      }));
    },

    async deleteByFilter(alias, scope) {
      await orWhenMissing(client.delete(alias, { wait: true, filter: scopeFilter(scope) }), null);
    },

    async deletePoints(alias, ids) {
      if (ids.length === 0) return;
      await orWhenMissing(client.delete(alias, { wait: true, points: ids }), null);
    },

    async count(alias, scope) {
      const result = await orWhenMissing(client.count(alias, { filter: scopeFilter(scope), exact: true }), {
        count: 0,
      });
      return result.count;
    },

    async listPointIds(alias, scope) {
      const ids: string[] = [];
      let offset: string | number | undefined;
      do {
        const page: Schemas["ScrollResult"] = await orWhenMissing(
          client.scroll(alias, {
            filter: scopeFilter(scope),
            limit: SCROLL_PAGE,
            with_payload: false,
            with_vector: false,
            ...(offset === undefined ? {} : { offset }),
          }),
          { points: [], next_page_offset: null },
        );
        for (const point of page.points) ids.push(String(point.id));
        const next = page.next_page_offset;
        offset = typeof next === "string" || typeof next === "number" ? next : undefined;
      } while (offset !== undefined);
      return ids.sort();
    },

    async switchAlias(alias, collection) {
      const { aliases } = await client.getAliases();
      const actions: Schemas["AliasOperations"][] = [];
      if (aliases.some((a) => a.alias_name === alias)) actions.push({ delete_alias: { alias_name: alias } });
      actions.push({ create_alias: { alias_name: alias, collection_name: collection } });
      await client.updateCollectionAliases({ actions });
    },
  };
}
