import { startEmbeddedPostgres } from "../db/embedded.ts";
import { migrateAll } from "../db/migrate.ts";
import { startWorker } from "../jobs/worker.ts";
import { loadConfigOrExit } from "../shared/boot.ts";
import { buildContentDeps } from "../shared/content-deps.ts";
import { createApp } from "../shared/http/create-app.ts";
import { listen, onShutdownSignal } from "../shared/http/serve.ts";
import { createLogger } from "../shared/logger.ts";
import { bootstrapFirstAdmin } from "../shared/services/bootstrap-admin.ts";
import { startTracing } from "../shared/tracing/index.ts";
import { allRouteGroups } from "./route-groups.ts";

/** All-in-one: every function under one port, routed as nginx routes them, plus the worker. */
const config = loadConfigOrExit();
const tracing = await startTracing(config, "all-in-one");
const log = createLogger(config.LOG_LEVEL, { function: "all-in-one" });
const embedded = config.DATABASE_URL ? null : await startEmbeddedPostgres(config.DATA_DIR, log);
const deps = await buildContentDeps({
  config,
  functionName: "all-in-one",
  databaseUrl: config.DATABASE_URL ?? (embedded?.url as string),
  log,
});
await migrateAll(deps.db, deps.pool, log);
const bootstrap = await bootstrapFirstAdmin(deps.db, config, embedded !== null);
const runner = await startWorker(deps);
const server = await listen(createApp(deps, allRouteGroups(config.BUILD_VERSION)), deps);

const lines = [`Quarry is running at ${server.url}`, `  API reference: ${server.url}/api/docs`];
if (bootstrap.created) {
  lines.push(`  First admin: login "${bootstrap.login}" in tenant "${bootstrap.tenantSlug}"`);
  if (bootstrap.generatedPassword) {
    lines.push(`  Password (shown once, change it): ${bootstrap.generatedPassword}`);
  }
}
process.stdout.write(`\n${lines.join("\n")}\n\n`);

onShutdownSignal(log, async () => {
  await server.close();
  await runner.stop();
  await deps.close();
  await embedded?.stop();
  await tracing.shutdown();
});
