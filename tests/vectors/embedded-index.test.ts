import { randomUUID } from "node:crypto";
import { Kysely, PostgresDialect } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, createPool, type Database } from "../../db/database.ts";
import type { DB } from "../../db/types.ts";
import { embedAndStore } from "../../shared/embeddings/embed-and-store.ts";
import { createHashingEmbedder } from "../../shared/embeddings/hashing-embedder.ts";
import { vectorToBytes } from "../../shared/embeddings/vector-bytes.ts";
import { createLogger } from "../../shared/logger.ts";
import { createEmbeddedVectorIndex } from "../../shared/vectors/embedded-index.ts";
import { pointId } from "../../shared/vectors/point-id.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { vectorIndexContract } from "./vector-index-contract.ts";

const log = createLogger("silent");

describe("embedded vector index", () => {
  let database: TestDatabase;
  let db: Database;
  /** SQL of every query the instrumented connection ran. */
  const queries: string[] = [];
  let counted: Kysely<DB>;

  beforeAll(async () => {
    database = await createTestDatabase();
    const pool = createPool(database.url, 4, log);
    const countedPool = createPool(database.url, 2, log);
    db = createDatabase(pool);
    counted = new Kysely<DB>({
      dialect: new PostgresDialect({ pool: countedPool }),
      log: (event) => {
        queries.push(event.query.sql);
      },
    });
  });
  afterAll(async () => {
    await db.destroy();
    await counted.destroy();
    await database.drop();
  });

  describe("contract", () => {
    vectorIndexContract(async () => {
      const otherPool = createPool(database.url, 2, log);
      const otherDb = createDatabase(otherPool);
      return {
        index: createEmbeddedVectorIndex(db, log),
        second: createEmbeddedVectorIndex(otherDb, log),
        prefix: "contract-",
        close: () => otherDb.destroy(),
      };
    });
  });

  it("searches points by the vectors embedAndStore keeps in `embeddings` (model = collection)", async () => {
    const embedder = createHashingEmbedder({ dims: 64, model: "lex-test" });
    const index = createEmbeddedVectorIndex(db, log);
    const tenantId = randomUUID();
    const documentId = randomUUID();
    const texts = [
      "invoices are due at the end of the month",
      "the cat sat on the mat",
      "password reset steps",
    ];
    const items = texts.map((text, i) => ({ contentHash: `hash-${i}`, text }));
    await embedAndStore(db, embedder, items);
    await index.ensureCollection(embedder.model, 64);
    await index.upsert(
      embedder.model,
      items.map((item, idx) => ({
        id: pointId(documentId, idx, embedder.model),
        tenantId,
        documentId,
        contentHash: item.contentHash,
        payload: { idx },
      })),
    );
    const [query] = await embedder.embed(["how do I reset my password"]);
    const hits = await index.search(embedder.model, query as Float32Array, { tenantId }, 3);
    expect(hits[0]?.payload.idx).toBe(2);
    expect(hits[0]?.id).toBe(pointId(documentId, 2, embedder.model));
  });

  it("runs one small query per search and reloads a tenant only after its points change", async () => {
    const index = createEmbeddedVectorIndex(counted, log);
    const writer = createEmbeddedVectorIndex(db, log);
    const tenantId = randomUUID();
    const make = (x: number) => ({
      id: randomUUID(),
      tenantId,
      documentId: randomUUID(),
      contentHash: randomUUID(),
      vector: Float32Array.from([x, 1, 0, 0, 0, 0, 0, 0]),
      payload: {},
    });
    await writer.upsert("reload", [make(1), make(2)]);
    const query = Float32Array.from([1, 0, 0, 0, 0, 0, 0, 0]);

    queries.length = 0;
    expect(await index.search("reload", query, { tenantId }, 5)).toHaveLength(2);
    expect(queries).toHaveLength(2);

    queries.length = 0;
    await index.search("reload", query, { tenantId }, 5);
    await index.search("reload", query, { tenantId }, 5);
    expect(queries).toHaveLength(2);
    expect(queries.every((sql) => sql.includes("vector_index_versions"))).toBe(true);

    await writer.upsert("reload", [make(3)]);
    queries.length = 0;
    expect(await index.search("reload", query, { tenantId }, 5)).toHaveLength(3);
    expect(queries).toHaveLength(2);

    // Another tenant's change does not reload this one.
    await writer.upsert("reload", [{ ...make(4), tenantId: randomUUID() }]);
    queries.length = 0;
    await index.search("reload", query, { tenantId }, 5);
    expect(queries).toHaveLength(1);
  });

  it("does not bump the version when a re-upsert changes nothing", async () => {
    const index = createEmbeddedVectorIndex(db, log);
    const tenantId = randomUUID();
    const p = {
      id: randomUUID(),
      tenantId,
      documentId: randomUUID(),
      contentHash: randomUUID(),
      vector: Float32Array.from([1, 0, 0, 0, 0, 0, 0, 0]),
      payload: { idx: 0 },
    };
    const version = async () =>
      (
        await db
          .selectFrom("vector_index_versions")
          .select("version")
          .where("collection", "=", "versions")
          .where("tenant_id", "=", tenantId)
          .executeTakeFirstOrThrow()
      ).version;
    await index.upsert("versions", [p]);
    const first = await version();
    await index.upsert("versions", [p]);
    expect(await version()).toBe(first);
    await index.upsert("versions", [{ ...p, payload: { idx: 1 } }]);
    expect(await version()).toBe(first + 1);
    await index.deletePoints("versions", [p.id]);
    expect(await version()).toBe(first + 2);
  });

  it("drops the least recently searched tenants beyond its memory budget", async () => {
    const writer = createEmbeddedVectorIndex(db, log);
    const index = createEmbeddedVectorIndex(counted, log, { cacheBytes: 1 });
    const tenants = [randomUUID(), randomUUID()];
    for (const tenantId of tenants) {
      await writer.upsert("budget", [
        {
          id: randomUUID(),
          tenantId,
          documentId: randomUUID(),
          contentHash: randomUUID(),
          vector: Float32Array.from([1, 0, 0, 0, 0, 0, 0, 0]),
          payload: {},
        },
      ]);
    }
    const query = Float32Array.from([1, 0, 0, 0, 0, 0, 0, 0]);
    const searches = async (tenantId: string) => {
      queries.length = 0;
      await index.search("budget", query, { tenantId }, 1);
      return queries.length;
    };
    expect(await searches(tenants[0] as string)).toBe(2);
    expect(await searches(tenants[0] as string)).toBe(1);
    expect(await searches(tenants[1] as string)).toBe(2);
    expect(await searches(tenants[0] as string)).toBe(2);
  });

  it("finds the exact top hits among 10,000 points of 384 dimensions, with and without filters", async () => {
    const dims = 384;
    const n = 10_000;
    const tenantId = randomUUID();
    let state = 42;
    const random = () => {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      return state / 0x100000000 - 0.5;
    };
    const vectors = Array.from({ length: n }, () => Float32Array.from({ length: dims }, random));
    const smallDoc = randomUUID();
    const bigDoc = randomUUID();
    const documentOf = (i: number) => (i < 100 ? smallDoc : bigDoc);
    const tagsOf = (i: number) => [i % 50 === 0 ? "rare" : "common", i % 2 === 0 ? "even" : "odd"];
    for (let at = 0; at < n; at += 2000) {
      await db
        .insertInto("embeddings")
        .values(
          vectors.slice(at, at + 2000).map((v, i) => ({
            model: "scale",
            content_hash: `c${at + i}`,
            dims,
            vector: vectorToBytes(v),
          })),
        )
        .execute();
    }
    const index = createEmbeddedVectorIndex(db, log);
    await index.upsert(
      "scale",
      vectors.map((_, i) => ({
        id: pointId(documentOf(i), i, "scale"),
        tenantId,
        documentId: documentOf(i),
        contentHash: `c${i}`,
        payload: { i, tags: tagsOf(i) },
      })),
    );
    const query = Float32Array.from({ length: dims }, random);
    const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    const all = vectors.map((v, i) => ({
      i,
      score: v.reduce((s, x, j) => s + x * (query[j] as number), 0) / (norm(v) * norm(query)),
    }));
    all.sort((a, b) => b.score - a.score);
    const expectTop = async (
      filter: { documentIds?: string[]; tags?: string[] },
      keep: (i: number) => boolean,
    ) => {
      const expected = all.filter((e) => keep(e.i)).slice(0, 10);
      const hits = await index.search("scale", query, { tenantId, ...filter }, 10);
      expect(hits.map((h) => h.payload.i)).toEqual(expected.map((e) => e.i));
      hits.forEach((hit, j) => {
        expect(hit.score).toBeCloseTo(expected[j]?.score ?? Number.NaN, 4);
      });
    };

    await expectTop({}, () => true);
    // Selective filters are scored row by row, broad ones by the full pass with a mask: both exact.
    await expectTop({ tags: ["rare"] }, (i) => i % 50 === 0);
    await expectTop({ tags: ["even"] }, (i) => i % 2 === 0);
    await expectTop({ documentIds: [smallDoc] }, (i) => i < 100);
    await expectTop({ documentIds: [smallDoc], tags: ["odd"] }, (i) => i < 100 && i % 2 === 1);
    await expectTop(
      { documentIds: [bigDoc], tags: ["rare", "even"] },
      (i) => i >= 100 && (i % 50 === 0 || i % 2 === 0),
    );
    await expect(index.search("scale", new Float32Array(8), { tenantId }, 10)).rejects.toThrow(/384/);
  });
});
