import { QdrantClient } from "@qdrant/js-client-rest";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createLogger } from "../../shared/logger.ts";
import type { VectorIndex } from "../../shared/vectors/port.ts";
import { createQdrantVectorIndex } from "../../shared/vectors/qdrant-index.ts";
import { type ModelServer, sendJson, startModelServer } from "../helpers/model-server.ts";

/**
 * What the Qdrant adapter sends, checked against a recording stub with canned Qdrant answers. This pins the
 * request shapes (tenant index, filters, wait, exact counts) on machines without Qdrant; the behaviour is
 * covered by the contract suite, which runs against a real Qdrant when QDRANT_URL is set.
 */
describe("qdrant adapter requests", () => {
  let stub: ModelServer;
  let index: VectorIndex;
  let aliases: { alias_name: string; collection_name: string }[] = [];
  const ok = (result: unknown) => ({ result, status: "ok", time: 0.001 });
  const tenantId = "6a0b9a52-62a4-4f1e-9d8c-1d2a3b4c5d6e";
  const documentId = "7b1c0b63-73b5-4f2f-8e9d-2e3b4c5d6e7f";

  beforeAll(async () => {
    stub = await startModelServer();
    const origin = stub.url.replace(/\/v1$/, "");
    index = createQdrantVectorIndex(
      new QdrantClient({ url: origin, apiKey: "qdrant-key", checkCompatibility: false }),
      createLogger("silent"),
    );
    const updated = ({ res }: { res: Parameters<typeof sendJson>[0] }) =>
      sendJson(res, 200, ok({ operation_id: 1, status: "completed" }));
    stub.route("GET", "/collections/chunks/exists", ({ res }) => sendJson(res, 200, ok({ exists: false })));
    stub.route("GET", "/aliases", ({ res }) => sendJson(res, 200, ok({ aliases })));
    stub.route("PUT", "/collections/chunks", ({ res }) => sendJson(res, 200, ok(true)));
    stub.route("GET", "/collections/chunks", ({ res }) =>
      sendJson(
        res,
        200,
        ok({
          status: "green",
          config: { params: { vectors: { size: 8, distance: "Cosine" } } },
          payload_schema: { document_id: { data_type: "keyword" } },
        }),
      ),
    );
    stub.route("PUT", "/collections/chunks/index", updated);
    stub.route("PUT", "/collections/chunks/points", updated);
    stub.route("POST", "/collections/chunks/points/delete", updated);
    stub.route("POST", "/collections/chunks/points/query", ({ res }) =>
      sendJson(res, 200, ok({ points: [{ id: "p1", version: 3, score: 0.75, payload: { label: "x" } }] })),
    );
    stub.route("POST", "/collections/chunks/points/count", ({ res }) => sendJson(res, 200, ok({ count: 7 })));
    stub.route("POST", "/collections/chunks/points/scroll", ({ res, body }) => {
      const first = (body as { offset?: string }).offset === undefined;
      sendJson(
        res,
        200,
        ok(first ? { points: [{ id: "b" }, { id: "c" }], next_page_offset: "d" } : { points: [{ id: "a" }] }),
      );
    });
    stub.route("POST", "/collections/aliases", ({ res }) => sendJson(res, 200, ok(true)));
  });
  afterAll(() => stub.close());
  beforeEach(() => {
    stub.clear();
    aliases = [];
  });

  const sent = (method: string, path: string) =>
    stub.requests.filter((r) => r.method === method && r.path === path);

  it("creates a cosine collection with a tenant index and the missing keyword indexes", async () => {
    await index.ensureCollection("chunks", 8);
    expect(sent("PUT", "/collections/chunks")[0]?.body).toEqual({ vectors: { size: 8, distance: "Cosine" } });
    const indexes = sent("PUT", "/collections/chunks/index");
    expect(indexes.map((r) => r.body)).toEqual([
      { field_name: "tenant_id", field_schema: { type: "keyword", is_tenant: true } },
      { field_name: "tags", field_schema: "keyword" },
    ]);
    expect(indexes.every((r) => r.search.includes("wait=true"))).toBe(true);
    expect(stub.requests.every((r) => r.headers["api-key"] === "qdrant-key")).toBe(true);
    await expect(index.ensureCollection("chunks", 16)).rejects.toThrow(/8 dimensions, not 16/);
  });

  it("upserts points with vectors and filterable payload, waiting for the write", async () => {
    const vector = Float32Array.from([0.5, 0.25]);
    const point = {
      id: "p1",
      tenantId,
      documentId,
      contentHash: "h1",
      vector,
      payload: { idx: 0, tags: ["a"] },
    };
    await index.upsert("chunks", [point, { ...point, payload: { idx: 1, tags: ["a"] } }]);
    const [request] = sent("PUT", "/collections/chunks/points");
    expect(request?.search).toContain("wait=true");
    expect(request?.body).toEqual({
      points: [
        {
          id: "p1",
          vector: [0.5, 0.25],
          payload: { idx: 1, tags: ["a"], tenant_id: tenantId, document_id: documentId, content_hash: "h1" },
        },
      ],
    });
    await expect(index.upsert("chunks", [{ ...point, vector: undefined }])).rejects.toThrow(
      /needs the vector/,
    );
  });

  it("searches with the tenant, document and tag conditions and the score threshold", async () => {
    const hits = await index.search(
      "chunks",
      Float32Array.from([1, 0]),
      { tenantId, documentIds: [documentId], tags: ["a", "b"] },
      5,
      0.2,
    );
    expect(hits).toEqual([{ id: "p1", score: 0.75, payload: { label: "x" } }]);
    expect(sent("POST", "/collections/chunks/points/query")[0]?.body).toEqual({
      query: [1, 0],
      filter: {
        must: [
          { key: "tenant_id", match: { value: tenantId } },
          { key: "document_id", match: { any: [documentId] } },
          { key: "tags", match: { any: ["a", "b"] } },
        ],
      },
      limit: 5,
      with_payload: true,
      score_threshold: 0.2,
    });
    expect(await index.search("chunks", Float32Array.from([1, 0]), { tenantId, tags: [] }, 5)).toEqual([]);
    expect(await index.search("absent", Float32Array.from([1, 0]), { tenantId }, 5)).toEqual([]);
  });

  it("deletes by tenant + document filter and by ids, counts exactly, and pages through ids", async () => {
    await index.deleteByFilter("chunks", { tenantId, documentId });
    await index.deletePoints("chunks", ["p1", "p2"]);
    expect(sent("POST", "/collections/chunks/points/delete").map((r) => r.body)).toEqual([
      {
        filter: {
          must: [
            { key: "tenant_id", match: { value: tenantId } },
            { key: "document_id", match: { value: documentId } },
          ],
        },
      },
      { points: ["p1", "p2"] },
    ]);
    expect(await index.count("chunks", { tenantId })).toBe(7);
    expect(sent("POST", "/collections/chunks/points/count")[0]?.body).toEqual({
      filter: { must: [{ key: "tenant_id", match: { value: tenantId } }] },
      exact: true,
    });
    expect(await index.listPointIds("chunks", { tenantId, documentId })).toEqual(["a", "b", "c"]);
    expect(sent("POST", "/collections/chunks/points/scroll")[1]?.body).toMatchObject({ offset: "d" });
  });

  it("moves an existing alias in one atomic alias operation", async () => {
    await index.switchAlias("live", "chunks");
    aliases = [{ alias_name: "live", collection_name: "chunks" }];
    await index.switchAlias("live", "chunks-v2");
    expect(sent("POST", "/collections/aliases").map((r) => r.body)).toEqual([
      { actions: [{ create_alias: { alias_name: "live", collection_name: "chunks" } }] },
      {
        actions: [
          { delete_alias: { alias_name: "live" } },
          { create_alias: { alias_name: "live", collection_name: "chunks-v2" } },
        ],
      },
    ]);
  });
});
