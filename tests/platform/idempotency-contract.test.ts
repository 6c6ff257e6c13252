import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createMemoryIdempotencyStore } from "../../shared/idempotency/memory.ts";
import type { IdempotencyStore, StoredResponse } from "../../shared/idempotency/port.ts";
import { createRedisIdempotencyStore } from "../../shared/idempotency/redis.ts";
import { memoryAndRedis } from "../helpers/redis-server.ts";

const prefix = `quarry-test:idem-contract:${randomBytes(4).toString("hex")}:`;
const HOUR = 3600_000;

const backends = memoryAndRedis<IdempotencyStore>("idempotency store contract", prefix, {
  memory: () => createMemoryIdempotencyStore(),
  redis: (client, keyPrefix) => createRedisIdempotencyStore(client, keyPrefix),
});

const unique = (label: string) => `${label}-${randomBytes(4).toString("hex")}`;
const response: StoredResponse = {
  status: 201,
  headers: { "content-type": "application/json", location: "/things/1" },
  body: '{"id":1,"name":"naïve ☕"}',
};

describe.each(backends)("idempotency store contract: $name", (backend) => {
  let store: IdempotencyStore;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ port: store, close } = await backend.open());
  });
  afterAll(() => close());

  it("claims a fresh key, then reports the claim as in flight with its fingerprint", async () => {
    const key = unique("claim");
    expect(await store.claim(key, "fp-1", HOUR)).toBeNull();
    expect(await store.claim(key, "fp-2", HOUR)).toEqual({ state: "in_flight", fingerprint: "fp-1" });
  });

  it("returns the completed response to later claims", async () => {
    const key = unique("complete");
    await store.claim(key, "fp", HOUR);
    await store.complete(key, { state: "done", fingerprint: "fp", response }, HOUR);
    expect(await store.claim(key, "fp", HOUR)).toEqual({ state: "done", fingerprint: "fp", response });
  });

  it("frees a released key for the next claim", async () => {
    const key = unique("release");
    await store.claim(key, "fp", HOUR);
    await store.release(key);
    expect(await store.claim(key, "fp-again", HOUR)).toBeNull();
    expect(await store.claim(key, "fp", HOUR)).toEqual({ state: "in_flight", fingerprint: "fp-again" });
  });

  it("forgets records after their time to live", async () => {
    const [claimed, completed] = [unique("ttl-claim"), unique("ttl-done")];
    await store.claim(claimed, "fp", 100);
    await store.complete(completed, { state: "done", fingerprint: "fp", response }, 100);
    expect(await store.claim(completed, "fp", HOUR)).not.toBeNull();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await store.claim(claimed, "fp", HOUR)).toBeNull();
    expect(await store.claim(completed, "fp", HOUR)).toBeNull();
  });

  it("lets exactly one of many concurrent claims win", async () => {
    const key = unique("race");
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.claim(key, `fp-${i}`, HOUR)),
    );
    expect(results.filter((r) => r === null)).toHaveLength(1);
    const winner = results.indexOf(null);
    for (const result of results.filter((r) => r !== null)) {
      expect(result).toEqual({ state: "in_flight", fingerprint: `fp-${winner}` });
    }
  });

  it("keeps keys apart", async () => {
    const [a, b] = [unique("a"), unique("b")];
    expect(await store.claim(a, "fp", HOUR)).toBeNull();
    expect(await store.claim(b, "fp", HOUR)).toBeNull();
  });
});
