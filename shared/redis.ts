import { Redis } from "ioredis";
import type { Logger } from "./logger.ts";

export type { Redis };

/**
 * Commands fail at once while Redis is away (no offline queue, no per-command retries), so callers
 * can fail open instead of piling up; the client keeps reconnecting in the background.
 */
export function createRedis(url: string, log: Logger): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: 1000,
    commandTimeout: 500,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
  });
  let reported = false;
  redis.on("error", (error) => {
    if (!reported) log.warn({ err: error }, "redis unreachable; rate limits fail open until it returns");
    reported = true;
  });
  redis.on("ready", () => {
    if (reported) log.info("redis reachable again");
    reported = false;
  });
  return redis;
}

/** Waits (bounded) for the first connection, so a process does not start by failing open. */
export async function waitForRedis(redis: Redis, timeoutMs: number): Promise<boolean> {
  if (redis.status === "ready") return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      redis.off("ready", onReady);
      resolve(false);
    }, timeoutMs);
    const onReady = () => {
      clearTimeout(timer);
      resolve(true);
    };
    redis.once("ready", onReady);
  });
}
