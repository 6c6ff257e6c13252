import { join } from "node:path";
import type pg from "pg";
import { createDatabase, createPool, type Database } from "../db/database.ts";
import { type ActiveUsers, cacheActiveUsers } from "./auth/active-users.ts";
import { type Authenticator, createAuthenticator } from "./auth/authenticate.ts";
import { type KeySet, loadKeySet } from "./auth/keys.ts";
import { type BlobStore, createBlobStore } from "./blob/index.ts";
import type { Config } from "./config/index.ts";
import { createEmbedder, type Embedder } from "./embeddings/index.ts";
import { createIdempotencyStore } from "./idempotency/index.ts";
import type { IdempotencyStore } from "./idempotency/port.ts";
import { createLanguageModel, type LanguageModel, languageModelAdapter } from "./llm/index.ts";
import { createLogger, type Logger } from "./logger.ts";
import { createMetrics, type Metrics } from "./metrics.ts";
import { createRateLimiter } from "./rate-limit/index.ts";
import type { RateLimiter } from "./rate-limit/port.ts";
import { createRedis, type Redis, waitForRedis } from "./redis.ts";
import { createVectorIndex } from "./vectors/index.ts";
import type { VectorIndex } from "./vectors/port.ts";

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
  /** Users as authentication reads them, cached briefly (AUTH_USER_CACHE_MS); `forget` after changes. */
  activeUsers: ActiveUsers;
  authenticator: Authenticator;
  rateLimiter: RateLimiter;
  idempotency: IdempotencyStore;
  blobStore: BlobStore;
  embedder: Embedder;
  vectorIndex: VectorIndex;
  /** The chat model: an OpenAI-compatible server, or the extractive responder when none is configured. */
  llm: LanguageModel;
  readinessChecks: Record<string, () => Promise<void>>;
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
  const redis = config.REDIS_URL ? createRedis(config.REDIS_URL, log) : null;
  if (redis && !(await waitForRedis(redis, 2000)))
    log.warn("redis not reachable at boot; continuing (fail open)");
  const keys = await loadKeySet(config.JWT_KEYS, join(config.DATA_DIR, "jwt-keys.json"));
  const readinessChecks: Deps["readinessChecks"] = {
    postgres: async () => {
      await pool.query("select 1");
    },
  };
  const metrics = createMetrics(functionName);
  const activeUsers = cacheActiveUsers(db, config.AUTH_USER_CACHE_MS);
  const blobStore = await createBlobStore(config, log);
  readinessChecks.blob_store = () => blobStore.check();
  const embedder = createEmbedder(config, log, metrics);
  const vectorIndex = createVectorIndex(config, db, log);
  const llm = createLanguageModel(config, log, metrics);
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
    blobStore,
    embedder,
    vectorIndex,
    llm,
    readinessChecks,
    adapters: {
      database: config.DATABASE_URL ? "postgres" : "embedded-postgres",
      rate_limits: redis ? "redis" : "memory",
      idempotency: redis ? "redis" : "memory",
      blob_store: blobStore.kind,
      vector_index: vectorIndex.kind,
      embedder: embedder.semantic
        ? `${embedder.kind} (${embedder.model})`
        : `builtin-hashing (${embedder.model}; lexical, not semantic)`,
      llm: languageModelAdapter(llm),
    },
    async close() {
      redis?.disconnect();
      await blobStore.close();
      await db.destroy();
    },
  };
}
