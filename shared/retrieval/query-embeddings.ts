import type { Embedder } from "../embeddings/port.ts";

const CAPACITY = 1024;

/** A least-recently-used map: Map keeps insertion order, so a hit is moved to the end, eviction takes the front. */
class LruCache<K, V> {
  private readonly entries = new Map<K, V>();

  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  delete(key: K, value: V): void {
    if (this.entries.get(key) === value) this.entries.delete(key);
  }
}

/** One cache per embedder instance (so per process and model), created with it and dropped with it. */
const caches = new WeakMap<Embedder, LruCache<string, Promise<Float32Array>>>();

/**
 * The embedding of a normalised query, cached per model + query. Concurrent identical queries share one
 * call; a failed call is not cached.
 */
export function embedQuery(embedder: Embedder, query: string): Promise<Float32Array> {
  let cache = caches.get(embedder);
  if (!cache) {
    cache = new LruCache(CAPACITY);
    caches.set(embedder, cache);
  }
  const key = `${embedder.model}\u0000${query}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const pending = embedder.embed([query]).then((vectors) => {
    const vector = vectors[0];
    if (!vector) throw new Error("the embedder returned no vector for the query");
    return vector;
  });
  cache.set(key, pending);
  const owner = cache;
  pending.catch(() => owner.delete(key, pending));
  return pending;
}
