import { Kysely, Migrator, PostgresDialect } from "kysely";
import pg from "pg";
import type { Logger } from "../shared/logger.ts";
import { migrations } from "./migrations/index.ts";
import type { DB } from "./types.ts";

export type Database = Kysely<DB>;

// int8 (counts, sums) as numbers: our counts stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));

/** Connections of each pool made here that have not closed yet (pg-pool forgets them before they close). */
const openConnections = new WeakMap<pg.Pool, Set<pg.PoolClient>>();

/** A pool whose broken connections are logged, not thrown: a Postgres restart must not crash the process. */
export function createPool(connectionString: string, max: number, log: Logger): pg.Pool {
  const pool = new pg.Pool({
    connectionString,
    max,
    connectionTimeoutMillis: 5000,
    idleTimeoutMillis: 30_000,
  });
  const open = new Set<pg.PoolClient>();
  openConnections.set(pool, open);
  // pg attaches the whole client (its cancel key included) to these errors: log what went wrong only.
  const failure = (error: Error & { code?: string }) => ({
    err: { message: error.message, code: error.code },
  });
  pool.on("error", (error) => log.warn(failure(error), "idle database connection failed"));
  pool.on("connect", (client) => {
    open.add(client);
    client.on("error", (error) => log.warn(failure(error), "database connection failed"));
  });
  pool.on("remove", (client) => open.delete(client));
  return pool;
}

/**
 * Ends the database and its pool, resolving once every connection has closed. Kysely ends the pool only
 * if it ever used it (a process that has served nothing but readiness checks has not), and pg-pool's
 * `end()` resolves when it has asked the connections to close: a server stopped right then (the
 * embedded Postgres at shutdown) cuts the sessions still closing, and each logs a warning.
 */
export async function closeDatabase(db: Database, pool: pg.Pool): Promise<void> {
  await db.destroy();
  if (!pool.ending) await pool.end();
  const open = openConnections.get(pool);
  while (open && open.size > 0) await new Promise((resolve) => pool.once("remove", resolve));
}

export function createDatabase(pool: pg.Pool): Database {
  return new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
}

/** Brings the schema to the latest migration; throws with the failing migration's name. */
export async function migrateToLatest(db: Database): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === "Error");
  if (error) {
    const where = failed ? ` in ${failed.migrationName}` : "";
    throw new Error(`migration failed${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName);
}
