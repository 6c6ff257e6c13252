import { type Kysely, sql } from "kysely";
import type { DB } from "../../db/types.ts";
import type { Embedder } from "./port.ts";
import { vectorToBytes } from "./vector-bytes.ts";

export interface EmbedItem {
  contentHash: string;
  text: string;
}

export interface EmbedAndStoreOptions {
  signal?: AbortSignal;
  /** Texts embedded and stored per round (default 256). */
  sliceSize?: number;
  /** Called after each stored slice; throw from it to stop (e.g. the document was canceled). */
  onProgress?: (embedded: number, missing: number) => Promise<void> | void;
}

export interface EmbedAndStoreResult {
  /** Distinct hashes embedded now. */
  embedded: number;
  /** Distinct hashes whose vector was already stored for this model. */
  reused: number;
}

/**
 * Embeds only the content hashes that have no vector for `embedder.model` yet and stores them, so
 * unchanged content is never embedded twice. Safe to run concurrently: a lost race is ignored.
 */
export async function embedAndStore(
  db: Kysely<DB>,
  embedder: Embedder,
  items: EmbedItem[],
  options: EmbedAndStoreOptions = {},
): Promise<EmbedAndStoreResult> {
  const texts = new Map<string, string>();
  for (const item of items) if (!texts.has(item.contentHash)) texts.set(item.contentHash, item.text);
  if (texts.size === 0) return { embedded: 0, reused: 0 };

  const stored = await db
    .selectFrom("embeddings")
    .select("content_hash")
    .where("model", "=", embedder.model)
    .where(sql<boolean>`content_hash = any(${[...texts.keys()]}::text[])`)
    .execute();
  for (const row of stored) texts.delete(row.content_hash);
  const missing = [...texts.entries()];
  const sliceSize = options.sliceSize ?? 256;

  let embedded = 0;
  for (let at = 0; at < missing.length; at += sliceSize) {
    options.signal?.throwIfAborted();
    const slice = missing.slice(at, at + sliceSize);
    const vectors = await embedder.embed(
      slice.map(([, text]) => text),
      options.signal,
    );
    await db
      .insertInto("embeddings")
      .values(
        slice.map(([contentHash], i) => {
          const vector = vectors[i] as Float32Array;
          return {
            model: embedder.model,
            content_hash: contentHash,
            dims: vector.length,
            vector: vectorToBytes(vector),
          };
        }),
      )
      .onConflict((oc) => oc.columns(["model", "content_hash"]).doNothing())
      .execute();
    embedded += slice.length;
    await options.onProgress?.(embedded, missing.length);
  }
  return { embedded, reused: stored.length };
}
