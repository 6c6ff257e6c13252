import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { VectorIndex, VectorPoint } from "../../shared/vectors/port.ts";

export interface ContractSubject {
  index: VectorIndex;
  /** A second instance on the same store, as another process would have. */
  second: VectorIndex;
  /** Prefix for collection and alias names, unique to this run. */
  prefix: string;
  close(): Promise<void>;
}

const DIMS = 8;

/** A vector of DIMS dimensions from its first values (the rest 0). */
function vec(...values: number[]): Float32Array {
  const v = new Float32Array(DIMS);
  v.set(values);
  return v;
}

function point(
  tenantId: string,
  vector: Float32Array,
  extra: { documentId?: string; tags?: string[]; label?: string } = {},
): VectorPoint {
  return {
    id: randomUUID(),
    tenantId,
    documentId: extra.documentId ?? randomUUID(),
    contentHash: randomUUID(),
    vector,
    payload: { label: extra.label ?? "", tags: extra.tags ?? [] },
  };
}

const ids = (hits: { id: string }[]) => hits.map((h) => h.id);

/** The behaviour every vector index adapter must have; run by each adapter's test file. */
export function vectorIndexContract(start: () => Promise<ContractSubject>): void {
  let subject: ContractSubject;
  let index: VectorIndex;
  let collection: string;

  beforeAll(async () => {
    subject = await start();
    index = subject.index;
    collection = `${subject.prefix}main`;
    await index.ensureCollection(collection, DIMS);
  });
  afterAll(() => subject.close());

  it("ranks by cosine similarity, best first, and honours the limit", async () => {
    const tenant = randomUUID();
    const exact = point(tenant, vec(1, 0));
    const close = point(tenant, vec(1, 0.5));
    const far = point(tenant, vec(0, 1));
    const opposite = point(tenant, vec(-1, 0.1));
    await index.upsert(collection, [far, opposite, exact, close]);

    const hits = await index.search(collection, vec(2, 0), { tenantId: tenant }, 10);
    expect(ids(hits)).toEqual([exact.id, close.id, far.id, opposite.id]);
    expect(hits[0]?.score).toBeCloseTo(1, 5);
    expect(hits[1]?.score).toBeCloseTo(1 / Math.sqrt(1.25), 5);
    expect(hits[2]?.score).toBeCloseTo(0, 5);
    expect(hits[3]?.score).toBeLessThan(-0.9);

    expect(ids(await index.search(collection, vec(1, 0), { tenantId: tenant }, 2))).toEqual([
      exact.id,
      close.id,
    ]);
  });

  it("returns the payload with tenant_id, document_id and content_hash", async () => {
    const tenant = randomUUID();
    const p = point(tenant, vec(0, 0, 1), { tags: ["a"], label: "payload" });
    await index.upsert(collection, [p]);
    const [hit] = await index.search(collection, vec(0, 0, 1), { tenantId: tenant }, 1);
    expect(hit?.payload).toEqual({
      label: "payload",
      tags: ["a"],
      tenant_id: tenant,
      document_id: p.documentId,
      content_hash: p.contentHash,
    });
  });

  it("never returns another tenant's points", async () => {
    const mine = randomUUID();
    const theirs = randomUUID();
    const own = point(mine, vec(0.2, 1));
    const foreign = [point(theirs, vec(0, 1)), point(theirs, vec(0.1, 1))];
    await index.upsert(collection, [own, ...foreign]);
    expect(ids(await index.search(collection, vec(0, 1), { tenantId: mine }, 10))).toEqual([own.id]);
    expect(new Set(ids(await index.search(collection, vec(0, 1), { tenantId: theirs }, 10)))).toEqual(
      new Set(foreign.map((p) => p.id)),
    );
    expect(await index.search(collection, vec(0, 1), { tenantId: randomUUID() }, 10)).toEqual([]);
  });

  it("filters by document ids and by tags (any overlap); an empty list matches nothing", async () => {
    const tenant = randomUUID();
    const docA = randomUUID();
    const docB = randomUUID();
    const a1 = point(tenant, vec(1, 0.1), { documentId: docA, tags: ["finance", "2024"] });
    const a2 = point(tenant, vec(1, 0.2), { documentId: docA, tags: ["hr"] });
    const b1 = point(tenant, vec(1, 0.3), { documentId: docB, tags: ["finance"] });
    await index.upsert(collection, [a1, a2, b1]);
    const query = vec(1, 0);

    expect(ids(await index.search(collection, query, { tenantId: tenant, documentIds: [docA] }, 10))).toEqual(
      [a1.id, a2.id],
    );
    expect(ids(await index.search(collection, query, { tenantId: tenant, tags: ["finance"] }, 10))).toEqual([
      a1.id,
      b1.id,
    ]);
    expect(
      ids(await index.search(collection, query, { tenantId: tenant, tags: ["hr", "2024"] }, 10)),
    ).toEqual([a1.id, a2.id]);
    expect(
      ids(
        await index.search(
          collection,
          query,
          { tenantId: tenant, documentIds: [docB], tags: ["finance"] },
          10,
        ),
      ),
    ).toEqual([b1.id]);
    expect(await index.search(collection, query, { tenantId: tenant, documentIds: [] }, 10)).toEqual([]);
    expect(await index.search(collection, query, { tenantId: tenant, tags: [] }, 10)).toEqual([]);
    expect(await index.search(collection, query, { tenantId: tenant, tags: ["none"] }, 10)).toEqual([]);
  });

  it("drops hits below minScore", async () => {
    const tenant = randomUUID();
    const strong = point(tenant, vec(1, 0.1));
    const weak = point(tenant, vec(0.3, 1));
    await index.upsert(collection, [strong, weak]);
    expect(ids(await index.search(collection, vec(1, 0), { tenantId: tenant }, 10, 0.5))).toEqual([
      strong.id,
    ]);
    expect(await index.search(collection, vec(1, 0), { tenantId: tenant }, 10, 0.999)).toEqual([]);
  });

  it("re-upserting the same ids replaces the points instead of adding more", async () => {
    const tenant = randomUUID();
    const documentId = randomUUID();
    const points = [
      point(tenant, vec(1, 1), { documentId, label: "v1" }),
      point(tenant, vec(1, -1), { documentId, label: "v1" }),
    ];
    await index.upsert(collection, points);
    await index.upsert(collection, points);
    expect(await index.count(collection, { tenantId: tenant })).toBe(2);

    const updated = points.map((p) => ({ ...p, payload: { ...p.payload, label: "v2" } }));
    await index.upsert(collection, updated);
    expect(await index.count(collection, { tenantId: tenant, documentId })).toBe(2);
    const hits = await index.search(collection, vec(1, 1), { tenantId: tenant }, 10);
    expect(hits.map((h) => h.payload.label)).toEqual(["v2", "v2"]);
  });

  it("deleteByFilter removes one document's points of one tenant only", async () => {
    const tenant = randomUUID();
    const other = randomUUID();
    const documentId = randomUUID();
    const gone = [point(tenant, vec(1), { documentId }), point(tenant, vec(0, 1), { documentId })];
    const kept = point(tenant, vec(1, 1));
    const otherTenant = point(other, vec(1), { documentId });
    await index.upsert(collection, [...gone, kept, otherTenant]);
    await index.deleteByFilter(collection, { tenantId: tenant, documentId });
    expect(await index.count(collection, { tenantId: tenant, documentId })).toBe(0);
    expect(ids(await index.search(collection, vec(1), { tenantId: tenant }, 10))).toEqual([kept.id]);
    expect(await index.count(collection, { tenantId: other })).toBe(1);
  });

  it("deletePoints removes exactly the given ids", async () => {
    const tenant = randomUUID();
    const points = [point(tenant, vec(1)), point(tenant, vec(1, 1)), point(tenant, vec(0, 1))];
    await index.upsert(collection, points);
    await index.deletePoints(collection, [points[0]?.id ?? "", points[2]?.id ?? ""]);
    expect(ids(await index.search(collection, vec(1), { tenantId: tenant }, 10))).toEqual([points[1]?.id]);
    await index.deletePoints(collection, []);
    expect(await index.count(collection, { tenantId: tenant })).toBe(1);
  });

  it("counts and lists point ids by tenant and by document", async () => {
    const tenant = randomUUID();
    const documentId = randomUUID();
    const inDoc = [point(tenant, vec(1), { documentId }), point(tenant, vec(0, 1), { documentId })];
    const elsewhere = point(tenant, vec(1, 1));
    await index.upsert(collection, [...inDoc, elsewhere]);
    expect(await index.count(collection, { tenantId: tenant })).toBe(3);
    expect(await index.count(collection, { tenantId: tenant, documentId })).toBe(2);
    expect(await index.listPointIds(collection, { tenantId: tenant, documentId })).toEqual(
      inDoc.map((p) => p.id).sort(),
    );
    expect(await index.listPointIds(collection, { tenantId: tenant })).toEqual(
      [...inDoc, elsewhere].map((p) => p.id).sort(),
    );
    expect(await index.count(collection, { tenantId: randomUUID() })).toBe(0);
  });

  it("a second instance sees the changes the first one makes", async () => {
    const tenant = randomUUID();
    const original = point(tenant, vec(1, 0.5));
    await index.upsert(collection, [original]);
    expect(ids(await subject.second.search(collection, vec(1), { tenantId: tenant }, 5))).toEqual([
      original.id,
    ]);

    const better = point(tenant, vec(1));
    await index.upsert(collection, [better]);
    expect(ids(await subject.second.search(collection, vec(1), { tenantId: tenant }, 5))).toEqual([
      better.id,
      original.id,
    ]);

    await subject.second.deletePoints(collection, [better.id]);
    expect(ids(await index.search(collection, vec(1), { tenantId: tenant }, 5))).toEqual([original.id]);
  });

  it("switchAlias points an alias at another collection", async () => {
    const tenant = randomUUID();
    const blue = `${subject.prefix}blue`;
    const green = `${subject.prefix}green`;
    const alias = `${subject.prefix}live`;
    await index.ensureCollection(blue, DIMS);
    await index.ensureCollection(green, DIMS);
    const inBlue = point(tenant, vec(1));
    const inGreen = point(tenant, vec(1));
    await index.upsert(blue, [inBlue]);
    await index.upsert(green, [inGreen]);

    await index.switchAlias(alias, blue);
    expect(ids(await index.search(alias, vec(1), { tenantId: tenant }, 5))).toEqual([inBlue.id]);
    await index.switchAlias(alias, green);
    expect(ids(await index.search(alias, vec(1), { tenantId: tenant }, 5))).toEqual([inGreen.id]);
    expect(ids(await subject.second.search(alias, vec(1), { tenantId: tenant }, 5))).toEqual([inGreen.id]);
    expect(await index.count(alias, { tenantId: tenant })).toBe(1);
  });

  it("refuses to reuse a collection with another vector size", async () => {
    const tenant = randomUUID();
    await index.upsert(collection, [point(tenant, vec(1))]);
    await index.ensureCollection(collection, DIMS);
    await expect(index.ensureCollection(collection, DIMS * 2)).rejects.toThrow(/dimensions/);
  });

  it("answers empty for a collection that does not exist", async () => {
    const missing = `${subject.prefix}missing`;
    expect(await index.search(missing, vec(1), { tenantId: randomUUID() }, 5)).toEqual([]);
    expect(await index.count(missing, { tenantId: randomUUID() })).toBe(0);
    expect(await index.listPointIds(missing, { tenantId: randomUUID() })).toEqual([]);
  });
}
