import type { Redis } from "../redis.ts";
import type { IdempotencyRecord, IdempotencyStore } from "./port.ts";

/** A record that expires between the failed SET NX and the GET is claimed again; this bounds the loop. */
const CLAIM_ATTEMPTS = 3;

/** Records as JSON strings under `<prefix>idempotency:<key>`, expiring with PX, shared by every process. */
export function createRedisIdempotencyStore(redis: Redis, keyPrefix: string): IdempotencyStore {
  const redisKey = (key: string) => `${keyPrefix}idempotency:${key}`;
  return {
    async claim(key, fingerprint, ttlMs) {
      const claim: IdempotencyRecord = { state: "in_flight", fingerprint };
      for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
        const set = await redis.set(redisKey(key), JSON.stringify(claim), "PX", ttlMs, "NX");
        if (set === "OK") return null;
        const existing = await redis.get(redisKey(key));
        if (existing !== null) return JSON.parse(existing) as IdempotencyRecord;
      }
      throw new Error(`idempotency key ${key} keeps expiring while being claimed`);
    },
    async complete(key, record, ttlMs) {
      await redis.set(redisKey(key), JSON.stringify(record), "PX", ttlMs);
    },
    async release(key) {
      await redis.del(redisKey(key));
    },
  };
}
