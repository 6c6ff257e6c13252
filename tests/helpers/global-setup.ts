import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { createDatabase, createPool } from "../../db/database.ts";
import { startEmbeddedPostgres } from "../../db/embedded.ts";
import { migrateAll } from "../../db/migrate.ts";
import { createLogger } from "../../shared/logger.ts";

declare module "vitest" {
  export interface ProvidedContext {
    serverUrl: string;
    templateDatabase: string;
  }
}

const log = createLogger("warn", { component: "test-setup" });

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

/**
 * One migrated template database per run; each test file clones it (CREATE DATABASE … TEMPLATE),
 * so files never see each other's rows. Postgres is DATABASE_URL's server, or an embedded one.
 */
export async function setup(project: TestProject): Promise<() => Promise<void>> {
  let embeddedDir: string | null = null;
  let stopEmbedded: (() => Promise<void>) | null = null;
  let serverUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!serverUrl) {
    embeddedDir = mkdtempSync(join(tmpdir(), "quarry-test-pg-"));
    chmodSync(embeddedDir, 0o755); // as root, Postgres runs as the `postgres` user, which must enter it
    const embedded = await startEmbeddedPostgres(embeddedDir, log);
    serverUrl = embedded.url;
    stopEmbedded = embedded.stop;
  }
  const template = `quarry_test_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`drop database if exists ${template}`);
  await admin.query(`create database ${template}`);
  const pool = createPool(withDatabase(serverUrl, template), 2, log);
  const db = createDatabase(pool);
  await migrateAll(db, pool, log);
  await db.destroy();
  project.provide("serverUrl", serverUrl);
  project.provide("templateDatabase", template);

  return async () => {
    const leftovers = await admin.query<{ datname: string }>(
      "select datname from pg_database where datname like $1",
      [`quarry_test_%_${process.pid}%`],
    );
    for (const { datname } of leftovers.rows)
      await admin.query(`drop database if exists ${datname} with (force)`);
    await admin.query(`drop database if exists ${template} with (force)`);
    await admin.end();
    await stopEmbedded?.();
    if (embeddedDir) rmSync(embeddedDir, { recursive: true, force: true });
  };
}
