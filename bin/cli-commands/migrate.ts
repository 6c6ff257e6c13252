import { migrateAll } from "../../db/migrate.ts";
import { loadConfigOrExit, requireDatabaseUrl } from "../../shared/boot.ts";
import { buildDeps } from "../../shared/deps.ts";
import { bootstrapFirstAdmin } from "../../shared/services/bootstrap-admin.ts";
import { UsageError } from "./usage.ts";

export async function migrateCommand(args: string[]): Promise<void> {
  if (args.length > 0) throw new UsageError(`migrate takes no arguments (got ${args.join(" ")})`);
  const config = loadConfigOrExit();
  const deps = await buildDeps({
    config,
    functionName: "cli",
    databaseUrl: requireDatabaseUrl(config, "the CLI"),
  });
  try {
    await migrateAll(deps.db, deps.pool, deps.log);
    process.stdout.write("Database is at the latest migration.\n");
    // The one-shot deploy step is also where ADMIN_LOGIN / ADMIN_PASSWORD create the first admin.
    const bootstrap = await bootstrapFirstAdmin(deps.db, config, false);
    if (bootstrap.created) process.stdout.write(`First admin "${bootstrap.login}" created.\n`);
  } finally {
    await deps.close();
  }
}
