import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { Redis } from "ioredis";
import { createLogger } from "../../shared/logger.ts";
import { freePort } from "../../shared/net/free-port.ts";
import { createRedis } from "../../shared/redis.ts";
import { redisUrl, servicesRequired } from "./app.ts";

export const REDIS_SERVER_BINARY = "/usr/bin/redis-server";

/**
 * The shared Redis for a suite's Redis half: REDIS_URL, or null with a visible message so the half is
 * skipped. Under REQUIRE_SERVICES=1 a missing REDIS_URL fails the file instead.
 */
export function sharedRedisUrl(suite: string): string | null {
  if (redisUrl) return redisUrl;
  if (servicesRequired) throw new Error(`${suite}: REDIS_URL is not set and REQUIRE_SERVICES=1`);
  console.warn(`SKIPPED ${suite} against Redis: REDIS_URL is not set`);
  return null;
}

/** Whether a throwaway server can be started here; same skip/fail rule as `sharedRedisUrl`. */
export function redisServerAvailable(suite: string): boolean {
  if (existsSync(REDIS_SERVER_BINARY)) return true;
  if (servicesRequired) throw new Error(`${suite}: ${REDIS_SERVER_BINARY} is missing and REQUIRE_SERVICES=1`);
  console.warn(`SKIPPED ${suite}: ${REDIS_SERVER_BINARY} is missing`);
  return false;
}

/**
 * Resolves once `redis` is connected. The app's client has no offline queue (commands fail while it
 * connects), so a test that wants Redis answers waits for this first.
 */
export async function redisReady(redis: Redis | null, timeoutMs = 5000): Promise<void> {
  if (!redis) throw new Error("no Redis client: REDIS_URL was not passed to the app");
  const deadline = Date.now() + timeoutMs;
  while (redis.status !== "ready") {
    if (Date.now() > deadline) throw new Error(`Redis not ready after ${timeoutMs} ms (${redis.status})`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Deletes every key under `prefix` (test files use their own prefix on the shared Redis). */
export async function deleteKeysWithPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true });
  await redis.connect();
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

export interface ThrowawayRedis {
  url: string;
  /** Kills the server at once (SIGKILL), as a crash would. Also the cleanup. */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>;
  /** Suspends the process (SIGSTOP): connections stay open, nothing answers. */
  freeze(): void;
  thaw(): void;
}

async function startProcess(port: number): Promise<ChildProcess> {
  const child = spawn(
    REDIS_SERVER_BINARY,
    [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--loglevel",
      "warning",
    ],
    { stdio: "ignore" },
  );
  const deadline = Date.now() + 5000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}`);
    const probe = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
    probe.on("error", () => {});
    try {
      await probe.connect();
      await probe.ping();
      return child;
    } catch (error) {
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      probe.disconnect();
    }
  }
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

/** A private `redis-server` on a free loopback port, without persistence: for tests that stop Redis. */
export async function startThrowawayRedis(): Promise<ThrowawayRedis> {
  const port = await freePort();
  let child = await startProcess(port);
  return {
    url: `redis://127.0.0.1:${port}`,
    kill: () => stopProcess(child),
    async restart() {
      await stopProcess(child);
      child = await startProcess(port);
    },
    freeze: () => child.kill("SIGSTOP"),
    thaw: () => child.kill("SIGCONT"),
  };
}

/** One implementation of a port for a contract suite: opened before the suite, closed after it. */
export interface ContractBackend<Port> {
  name: string;
  open(): Promise<{ port: Port; close(): Promise<void> }>;
}

/**
 * The in-memory implementation, and the Redis one on the shared Redis (keys under `prefix`, deleted after)
 * when REDIS_URL is set — the skip/fail rule of `sharedRedisUrl` applies.
 */
export function memoryAndRedis<Port>(
  suite: string,
  prefix: string,
  build: { memory: () => Port; redis: (client: Redis, prefix: string) => Port },
): ContractBackend<Port>[] {
  const backends: ContractBackend<Port>[] = [
    { name: "memory", open: async () => ({ port: build.memory(), close: async () => {} }) },
  ];
  const url = sharedRedisUrl(suite);
  if (url) {
    backends.push({
      name: "redis",
      async open() {
        const client = createRedis(url, createLogger("silent"));
        await redisReady(client);
        return {
          port: build.redis(client, prefix),
          async close() {
            client.disconnect();
            await deleteKeysWithPrefix(url, prefix);
          },
        };
      },
    });
  }
  return backends;
}
