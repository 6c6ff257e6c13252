import { runMigrations } from "graphile-worker";
import type pg from "pg";
import type { Logger } from "../shared/logger.ts";
import { workerLogger } from "../shared/queue/worker-logger.ts";
import { type Database, migrateToLatest } from "./database.ts";

/** Our schema, then graphile-worker's, so functions can enqueue before any worker has started. */
export async function migrateAll(db: Database, pool: pg.Pool, log: Logger): Promise<void> {
  const applied = await migrateToLatest(db);
  if (applied.length > 0) log.info({ migrations: applied }, "migrations applied");
  await runMigrations({ pgPool: pool, logger: workerLogger(log) });
}
