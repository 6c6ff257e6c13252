import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { migrateAll } from "../../db/migrate.ts";
import { generateSigningJwk } from "../../shared/auth/keys.ts";
import { loadConfig } from "../../shared/config/index.ts";
import { buildContentDeps, type ContentDeps } from "../../shared/content-deps.ts";
import { freshBenchDatabase } from "../lib/database.ts";

/** Real dependencies (embedded vector index, built-in embedder) over a fresh, migrated bench database. */
export async function benchDeps(database: string, env: Record<string, string> = {}): Promise<ContentDeps> {
  const databaseUrl = await freshBenchDatabase(database);
  const dataDir = mkdtempSync(join(tmpdir(), "quarry-bench-"));
  const config = loadConfig({
    DATABASE_URL: databaseUrl,
    DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
    JWT_KEYS: JSON.stringify([await generateSigningJwk("bench-1")]),
    ...env,
  });
  const deps = await buildContentDeps({ config, functionName: "bench", databaseUrl });
  await migrateAll(deps.db, deps.pool, deps.log);
  return {
    ...deps,
    async close() {
      await deps.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
