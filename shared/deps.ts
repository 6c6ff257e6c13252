import { join } from "node:path";
import type pg from "pg";
import { closeDatabase, createDatabase, createPool, type Database } from "../db/database.ts";
import { portAdapters } from "./adapters.ts";
import { type ActiveUsers, cacheActiveUsers } from "./auth/active-users.ts";
import { type Authenticator, createAuthenticator } from "./auth/authenticate.ts";
import { type KeySet, loadKeySet } from "./auth/keys.ts";
import type { Config } from "./config/index.ts";
import { createOpenStreams, type OpenStreams } from "./http/open-streams.ts";
import { createIdempotencyStore } from "./idempotency/index.ts";
import type { IdempotencyStore } from "./idempotency/port.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createMetrics, type Metrics } from "./metrics.ts";
import { createRateLimiter } from "./rate-limit/index.ts";
import type { RateLimiter } from "./rate-limit/port.ts";
import type { Redis } from "./redis.ts";

/**
 * What every function needs, built once at boot and passed in (never a module singleton). The ports that
 * handle documents' content come with `ContentDeps` (content-deps.ts), so auth and ops bundle none of them.
 */
export interface Deps {
  functionName: string;
  config: Config;
  log: Logger;
  metrics: Metrics;
  pool: pg.Pool;
  db: Database;
  redis: Redis | null;
  keys: KeySet;
  /** Users as authentication reads them, cached briefly (AUTH_USER_CACHE_MS); `forget` after changes. */
  activeUsers: ActiveUsers;
  authenticator: Authenticator;
  rateLimiter: RateLimiter;
  idempotency: IdempotencyStore;
  readinessChecks: Record<string, () => Promise<void>>;
  /** Answer streams still open, which shutdown lets finish or stops (`listen().close()`). */
  openStreams: OpenStreams;
  /** Which adapter serves each port, as `/api/version` reports it: `{ database: "postgres", … }`. */
  adapters: Record<string, string>;
  close(): Promise<void>;
}

export interface DepsOptions {
  config: Config;
  functionName: string;
  /** `DATABASE_URL`, or the embedded server's URL in all-in-one mode. */
  databaseUrl: string;
  log?: Logger;
}

export async function buildDeps({
  config,
  functionName,
  databaseUrl,
  log: givenLog,
}: DepsOptions): Promise<Deps> {
  const log = givenLog ?? createLogger(config.LOG_LEVEL, { function: functionName });
  const pool = createPool(databaseUrl, config.DATABASE_POOL_MAX, log);
  const db = createDatabase(pool);
  const redis = config.REDIS_URL ? await connectRedis(config.REDIS_URL, log) : null;
  const keys = await loadKeySet(config.JWT_KEYS, join(config.DATA_DIR, "jwt-keys.json"));
  const readinessChecks: Deps["readinessChecks"] = {
    postgres: async () => {
      await pool.query("select 1");
    },
  };
  const metrics = createMetrics(functionName);
  const activeUsers = cacheActiveUsers(db, config.AUTH_USER_CACHE_MS);
  if (redis) {
    readinessChecks.redis = async () => {
      await redis.ping();
    };
  }
  return {
    functionName,
    config,
    log,
    metrics,
    pool,
    db,
    redis,
    keys,
    activeUsers,
    authenticator: createAuthenticator(db, activeUsers, keys, {
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
    }),
    rateLimiter: createRateLimiter(redis, config.REDIS_KEY_PREFIX),
    idempotency: createIdempotencyStore(redis, config.REDIS_KEY_PREFIX),
    readinessChecks,
    openStreams: createOpenStreams(),
    adapters: portAdapters(config),
    async close() {
      redis?.disconnect();
      await closeDatabase(db, pool);
    },
  };
}

/** ioredis is imported only when Redis is configured: the embedded default starts without evaluating it. */
async function connectRedis(url: string, log: Logger): Promise<Redis> {
  const { createRedis, waitForRedis } = await import("./redis.ts");
  const redis = createRedis(url, log);
  if (!(await waitForRedis(redis, 2000))) log.warn("redis not reachable at boot; continuing (fail open)");
  return redis;
}
