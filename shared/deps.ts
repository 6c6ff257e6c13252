import { join } from "node:path";
import type pg from "pg";
import { createDatabase, createPool, type Database } from "../db/database.ts";
import { type Authenticator, createAuthenticator } from "./auth/authenticate.ts";
import { type KeySet, loadKeySet } from "./auth/keys.ts";
import type { Config } from "./config/index.ts";
import { createIdempotencyStore } from "./idempotency/index.ts";
import type { IdempotencyStore } from "./idempotency/port.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createMetrics, type Metrics } from "./metrics.ts";
import { createRateLimiter } from "./rate-limit/index.ts";
import type { RateLimiter } from "./rate-limit/port.ts";
import { createRedis, type Redis } from "./redis.ts";

/** Everything a request handler or a job needs, built once at boot and passed in (never a module singleton). */
export interface Deps {
  functionName: string;
  config: Config;
  log: Logger;
  metrics: Metrics;
  pool: pg.Pool;
  db: Database;
  redis: Redis | null;
  keys: KeySet;
  authenticator: Authenticator;
  rateLimiter: RateLimiter;
  idempotency: IdempotencyStore;
  readinessChecks: Record<string, () => Promise<void>>;
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
  const pool = createPool(databaseUrl, config.DATABASE_POOL_MAX);
  pool.on("error", (error) => log.warn({ err: error }, "idle database connection failed"));
  const db = createDatabase(pool);
  const redis = config.REDIS_URL ? createRedis(config.REDIS_URL, log) : null;
  const keys = await loadKeySet(config.JWT_KEYS, join(config.DATA_DIR, "jwt-keys.json"));
  const readinessChecks: Deps["readinessChecks"] = {
    postgres: async () => {
      await pool.query("select 1");
    },
  };
  if (redis) {
    readinessChecks.redis = async () => {
      await redis.ping();
    };
  }
  return {
    functionName,
    config,
    log,
    metrics: createMetrics(functionName),
    pool,
    db,
    redis,
    keys,
    authenticator: createAuthenticator(db, keys, {
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
    }),
    rateLimiter: createRateLimiter(redis, config.REDIS_KEY_PREFIX),
    idempotency: createIdempotencyStore(redis, config.REDIS_KEY_PREFIX),
    readinessChecks,
    async close() {
      redis?.disconnect();
      await db.destroy();
    },
  };
}
