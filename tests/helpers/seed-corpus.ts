import { createHash, randomUUID } from "node:crypto";
import { sql } from "kysely";
import type { DocumentStatus } from "../../db/types.ts";
import type { ContentDeps } from "../../shared/content-deps.ts";
import { embedAndStore } from "../../shared/embeddings/embed-and-store.ts";
import type { Embedder } from "../../shared/embeddings/port.ts";
import { bytesToVector } from "../../shared/embeddings/vector-bytes.ts";
import { chunkDocument } from "../../shared/text/chunk.ts";
import type { ChunkOptions } from "../../shared/text/types.ts";
import { pointId, uuidv5 } from "../../shared/vectors/point-id.ts";

/**
 * Documents straight into the database the way the ingest pipeline leaves them (chunks with the tenant's
 * text-search language, embeddings, index points), without running the worker. Used by the retrieval
 * tests and the retrieval quality bench; imports nothing from vitest.
 */
export type SeedDeps = Pick<ContentDeps, "db" | "config" | "embedder" | "vectorIndex">;

export interface SeedDocument {
  /** Fixed ids make runs reproducible (chunk ids are then derived from it); random otherwise. */
  id?: string;
  name: string;
  /** Chunked with `chunkOptions` (the pipeline's chunker)… */
  text?: string;
  /** …or these chunk texts as they are. */
  chunks?: string[];
  tags?: string[];
  status?: DocumentStatus;
  /** Page of every chunk (default null). */
  page?: number;
  chunkOptions?: ChunkOptions;
}

export interface SeededChunk {
  id: string;
  idx: number;
  text: string;
  contentHash: string;
}

export interface SeededDocument {
  id: string;
  chunks: SeededChunk[];
}

const SEED_NAMESPACE = "5b0c1f3e-8a47-5d2b-9c61-3e7f0a9d4b28";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export async function seedDocument(
  deps: SeedDeps,
  tenantId: string,
  doc: SeedDocument,
  embedder: Embedder = deps.embedder,
): Promise<SeededDocument> {
  const id = doc.id ?? randomUUID();
  const texts =
    doc.chunks ??
    chunkDocument({ text: doc.text ?? "", pages: [], title: null }, doc.chunkOptions).map((c) => c.text);
  const tenant = await deps.db
    .selectFrom("tenants")
    .select("text_search_language")
    .where("id", "=", tenantId)
    .executeTakeFirstOrThrow();
  await deps.db
    .insertInto("documents")
    .values({
      id,
      tenant_id: tenantId,
      name: doc.name,
      status: doc.status ?? "ready",
      source_mime: "text/plain",
      size_bytes: texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0),
      content_hash: sha256(`${id}:${texts.join("\n")}`),
      tags: doc.tags ?? [],
      blob_key: `t/${tenantId}/uploads/${id}`,
      embedding_model: embedder.model,
    })
    .execute();
  const chunks = texts.length
    ? await deps.db
        .insertInto("chunks")
        .values(
          texts.map((text, idx) => ({
            ...(doc.id ? { id: uuidv5(`${doc.id}:${idx}`, SEED_NAMESPACE) } : {}),
            document_id: id,
            tenant_id: tenantId,
            idx,
            text,
            content_hash: sha256(text),
            token_count: Math.ceil(text.length / 4),
            page: doc.page ?? null,
            language: tenant.text_search_language ?? deps.config.TEXT_SEARCH_LANGUAGE,
          })),
        )
        .returning(["id", "idx", "text", "content_hash as contentHash"])
        .execute()
    : [];
  await indexDocument(deps, tenantId, id, embedder);
  return { id, chunks: chunks.sort((a, b) => a.idx - b.idx) };
}

/** What `ingest:embed` + `ingest:index` do for one document, with `embedder` (its model is the alias). */
export async function indexDocument(
  deps: SeedDeps,
  tenantId: string,
  documentId: string,
  embedder: Embedder = deps.embedder,
): Promise<void> {
  const document = await deps.db
    .selectFrom("documents")
    .select(["tags", "source_mime"])
    .where("id", "=", documentId)
    .executeTakeFirstOrThrow();
  const chunks = await deps.db
    .selectFrom("chunks")
    .select(["id", "idx", "text", "page", "content_hash"])
    .where("document_id", "=", documentId)
    .orderBy("idx")
    .execute();
  if (chunks.length === 0) return;
  await embedAndStore(
    deps.db,
    embedder,
    chunks.map((c) => ({ contentHash: c.content_hash, text: c.text })),
  );
  const model = embedder.model;
  const vectors = await deps.db
    .selectFrom("embeddings")
    .select(["content_hash", "vector"])
    .where("model", "=", model)
    .where(sql<boolean>`content_hash = any(${chunks.map((c) => c.content_hash)}::text[])`)
    .execute();
  const vectorOf = new Map(vectors.map((row) => [row.content_hash, bytesToVector(row.vector)]));
  const first = vectors[0];
  if (first) await deps.vectorIndex.ensureCollection(model, first.vector.byteLength / 4);
  const updatedAt = new Date().toISOString();
  await deps.vectorIndex.upsert(
    model,
    chunks.map((c) => ({
      id: pointId(documentId, c.idx, model),
      tenantId,
      documentId,
      contentHash: c.content_hash,
      vector: vectorOf.get(c.content_hash),
      payload: {
        chunk_id: c.id,
        idx: c.idx,
        tags: document.tags,
        page: c.page,
        mime: document.source_mime,
        model,
        version: 1,
        updated_at: updatedAt,
      },
    })),
  );
  await deps.db
    .updateTable("documents")
    .set({ embedding_model: model })
    .where("id", "=", documentId)
    .execute();
}
