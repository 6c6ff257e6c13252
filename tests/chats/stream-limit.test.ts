import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chatsRoutes } from "../../functions/chats/index.ts";
import { generateSigningJwk } from "../../shared/auth/keys.ts";
import { createMemoryStreamLimiter } from "../../shared/chat/stream-limit/memory.ts";
import type { StreamLimiter } from "../../shared/chat/stream-limit/port.ts";
import { createRedisStreamLimiter } from "../../shared/chat/stream-limit/redis.ts";
import { ApiError } from "../../shared/errors.ts";
import { createLogger } from "../../shared/logger.ts";
import { freePort } from "../../shared/net/free-port.ts";
import { createRedis, type Redis } from "../../shared/redis.ts";
import { errorCode, startTestApp, type TestApp } from "../helpers/app.ts";
import { addChatCompletions } from "../helpers/chat-stand-in.ts";
import { createTestDatabase } from "../helpers/database.ts";
import { eventually } from "../helpers/eventually.ts";
import { type ModelServer, startModelServer } from "../helpers/model-server.ts";
import {
  deleteKeysWithPrefix,
  memoryAndRedis,
  redisReady,
  redisServerAvailable,
  sharedRedisUrl,
  startThrowawayRedis,
} from "../helpers/redis-server.ts";
import { createTeam } from "../helpers/users.ts";
import { newChat } from "./fixtures.ts";

const prefix = `quarry-test:streams:${randomBytes(4).toString("hex")}:`;
const unique = (label: string) => `${label}-${randomBytes(4).toString("hex")}`;

function redisLimiter(client: Redis, options: { leaseMs?: number; onUnavailable?: () => void } = {}) {
  return createRedisStreamLimiter(client, prefix, {
    fallback: createMemoryStreamLimiter(),
    onUnavailable: options.onUnavailable ?? (() => {}),
    ...(options.leaseMs ? { leaseMs: options.leaseMs } : {}),
  });
}

/** The 429 `acquire` refuses with, or null when it granted a slot. */
async function refusal(limiter: StreamLimiter, principal: string, max: number): Promise<ApiError | null> {
  try {
    await limiter.acquire(principal, max);
    return null;
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
}

/** Whether a slot was free, without keeping it. */
async function slotFree(limiter: StreamLimiter, principal: string, max: number): Promise<boolean> {
  try {
    const release = await limiter.acquire(principal, max);
    release();
    return true;
  } catch (error) {
    if (error instanceof ApiError) return false;
    throw error;
  }
}

const backends = memoryAndRedis<StreamLimiter>("stream limiter contract", prefix, {
  memory: () => createMemoryStreamLimiter(),
  redis: (client) => redisLimiter(client),
});

describe.each(backends)("stream limiter contract: $name", (backend) => {
  let limiter: StreamLimiter;
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ port: limiter, close } = await backend.open());
  });
  afterAll(() => close());

  it("grants up to max streams per principal, then refuses with a 429 naming the limit", async () => {
    const principal = unique("user");
    await limiter.acquire(principal, 2);
    await limiter.acquire(principal, 2);
    const refused = await refusal(limiter, principal, 2);
    expect(refused?.status).toBe(429);
    expect(refused?.details).toEqual({ policy: "chat_streams", limit: 2 });
    expect(refused?.headers).toEqual({ "Retry-After": "1" });
    expect(await refusal(limiter, unique("other"), 2)).toBeNull();
  });

  it("frees a slot on release, once however often release is called", async () => {
    const principal = unique("user");
    const release = await limiter.acquire(principal, 2);
    await limiter.acquire(principal, 2);
    release();
    release();
    expect(await refusal(limiter, principal, 2)).toBeNull();
    expect(await refusal(limiter, principal, 2)).not.toBeNull();
  });

  it("grants exactly max slots to concurrent acquires", async () => {
    const principal = unique("burst");
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => refusal(limiter, principal, 3)));
    expect(outcomes.filter((outcome) => outcome === null)).toHaveLength(3);
  });
});

const url = sharedRedisUrl("stream limiter across processes");

describe.skipIf(!url)("stream limiter on Redis: one count for every chats process", () => {
  const clients: Redis[] = [];
  const connect = (target = url as string) => {
    const client = createRedis(target, createLogger("silent"));
    clients.push(client);
    return client;
  };
  /** Two clients of the shared Redis, connected: what two chats processes hold. */
  const twoProcesses = async (): Promise<[Redis, Redis]> => {
    const pair: [Redis, Redis] = [connect(), connect()];
    await Promise.all(pair.map((client) => redisReady(client)));
    return pair;
  };
  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await deleteKeysWithPrefix(url as string, prefix);
  });

  it("counts a principal's streams on two processes together", async () => {
    const [first, second] = await twoProcesses();
    const [processA, processB] = [redisLimiter(first), redisLimiter(second)];
    const principal = unique("user");
    const release = await processA.acquire(principal, 2);
    await processA.acquire(principal, 2);
    expect((await refusal(processB, principal, 2))?.status).toBe(429);
    release(); // sent, not awaited
    expect(
      await eventually(
        () => refusal(processB, principal, 2),
        (refused) => refused === null,
      ),
    ).toBeNull();
  });

  it("stops counting a crashed process's streams once their leases run out", async () => {
    const [crashing, surviving] = await twoProcesses();
    const principal = unique("user");
    await redisLimiter(crashing, { leaseMs: 300 }).acquire(principal, 1);
    crashing.disconnect(); // no release, no renewal
    const processB = redisLimiter(surviving, { leaseMs: 300 });
    expect((await refusal(processB, principal, 1))?.status).toBe(429);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await refusal(processB, principal, 1)).toBeNull();
  });

  it("keeps a live stream's lease alive past its length", async () => {
    const [holder, other] = await twoProcesses();
    const principal = unique("user");
    await redisLimiter(holder, { leaseMs: 300 }).acquire(principal, 1);
    await new Promise((resolve) => setTimeout(resolve, 700));
    expect((await refusal(redisLimiter(other), principal, 1))?.status).toBe(429);
  });

  it.skipIf(!redisServerAvailable("stream leases across a Redis restart"))(
    "counts a live stream again once Redis restarts empty",
    async () => {
      const redis = await startThrowawayRedis();
      try {
        const [holder, other] = [connect(redis.url), connect(redis.url)];
        await Promise.all([redisReady(holder), redisReady(other)]);
        const principal = unique("user");
        await redisLimiter(holder, { leaseMs: 300 }).acquire(principal, 1);
        await redis.restart(); // every lease is gone; the stream is still open
        await Promise.all([redisReady(holder), redisReady(other)]);
        const processB = redisLimiter(other, { leaseMs: 300 });
        expect(
          await eventually(
            () => slotFree(processB, principal, 1),
            (free) => !free,
          ),
        ).toBe(false);
      } finally {
        await redis.kill();
      }
    },
  );

  it("limits each process on its own while Redis is unreachable, and reports it", async () => {
    const unreachable = connect(`redis://127.0.0.1:${await freePort()}`);
    let reports = 0;
    const limiter = redisLimiter(unreachable, { onUnavailable: () => reports++ });
    const principal = unique("user");
    await limiter.acquire(principal, 2);
    await limiter.acquire(principal, 2);
    expect((await refusal(limiter, principal, 2))?.status).toBe(429);
    expect(reports).toBe(3);
  });
});

describe.skipIf(!url)("CHAT_MAX_STREAMS_PER_USER over HTTP, two chats apps sharing Redis", () => {
  let server: ModelServer;
  const apps: TestApp[] = [];
  const database = createTestDatabase();
  beforeAll(async () => {
    server = await startModelServer();
    addChatCompletions(server).defaults = { firstTokenDelayMs: 400 };
    const env = {
      REDIS_URL: url as string,
      REDIS_KEY_PREFIX: prefix,
      JWT_KEYS: JSON.stringify([await generateSigningJwk("shared-key")]), // one token valid on both
      LLM_URL: server.url,
      LLM_MODEL: "stand-in-model",
      CHAT_MAX_STREAMS_PER_USER: "1",
      ANSWER_CACHE_TTL_SECONDS: "0",
    };
    for (let i = 0; i < 2; i++) {
      const app = await startTestApp({ env, database: await database, routeGroups: () => [chatsRoutes()] });
      await redisReady(app.deps.redis);
      apps.push(app);
    }
  });
  afterAll(async () => {
    for (const app of apps) await app.close();
    await (await database).drop();
    await server.close();
  });

  it("refuses a second stream on the other app while the first is open, and grants it after", async () => {
    const [first, second] = apps as [TestApp, TestApp];
    const { reader } = await createTeam(first.deps);
    const chatId = await newChat(first, reader.token);
    const ask = (app: TestApp) =>
      app.call(`/api/chats/${chatId}/messages`, {
        method: "POST",
        token: reader.token,
        json: { content: "When does the office open?", use_rag: false, response_stream: true },
      });
    const open = await ask(first);
    expect(open.status).toBe(200);
    const refused = await ask(second);
    expect(refused.status).toBe(429);
    expect(await errorCode(refused)).toBe("rate_limited");
    await open.text(); // the first answer ends, its slot is released (sent, not awaited)
    const granted = await eventually(
      async () => {
        const res = await ask(second);
        if (res.status !== 200) await res.text(); // a refusal still read, so its connection is free
        return res;
      },
      (res) => res.status === 200,
    );
    expect(granted.status).toBe(200);
    await granted.text();
  });
});
