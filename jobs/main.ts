import { loadConfigOrExit, requireDatabaseUrl } from "../shared/boot.ts";
import { buildContentDeps } from "../shared/content-deps.ts";
import { createApp } from "../shared/http/create-app.ts";
import { listen, onShutdownSignal } from "../shared/http/serve.ts";
import { startTracing } from "../shared/tracing/index.ts";
import { startWorker } from "./worker.ts";

/** The worker process: runs the job queue and serves /healthz, /readyz and /metrics on PORT. */
const config = loadConfigOrExit();
const tracing = await startTracing(config, "worker");
const deps = await buildContentDeps({
  config,
  functionName: "worker",
  databaseUrl: requireDatabaseUrl(config, "the worker"),
});
const runner = await startWorker(deps);
const server = await listen(createApp(deps, []), deps);
deps.log.info({ concurrency: config.WORKER_CONCURRENCY, url: server.url }, "worker started");
onShutdownSignal(deps.log, async () => {
  await server.close();
  await runner.stop();
  await deps.close();
  await tracing.shutdown();
});
