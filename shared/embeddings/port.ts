export type EmbedderKind = "hashing" | "openai-compatible";

/** Turns texts into vectors. One instance per process, shared by ingestion and query embedding. */
export interface Embedder {
  readonly kind: EmbedderKind;
  /** The alias stored in `embeddings.model` and used as the vector index collection name. */
  readonly model: string;
  /**
   * Vector size. `null` for a model server whose size was not configured (EMBEDDINGS_DIMS) until its
   * first answer.
   */
  readonly dims: number | null;
  /** False for the built-in hashing embedder: it matches words and spellings, not meaning. */
  readonly semantic: boolean;
  /** One vector per text, in order. */
  embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]>;
}
