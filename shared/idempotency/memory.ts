import type { IdempotencyRecord, IdempotencyStore } from "./port.ts";

/** Records in this process's memory, expiring like the Redis ones: the embedded default. */
export function createMemoryIdempotencyStore(now: () => number = Date.now): IdempotencyStore {
  const records = new Map<string, { record: IdempotencyRecord; expiresAt: number }>();
  const live = (key: string) => {
    const entry = records.get(key);
    if (entry && entry.expiresAt <= now()) records.delete(key);
    return records.get(key)?.record ?? null;
  };
  return {
    async claim(key, fingerprint, ttlMs) {
      const existing = live(key);
      if (existing) return existing;
      records.set(key, { record: { state: "in_flight", fingerprint }, expiresAt: now() + ttlMs });
      return null;
    },
    async complete(key, record, ttlMs) {
      records.set(key, { record, expiresAt: now() + ttlMs });
    },
    async release(key) {
      records.delete(key);
    },
  };
}
