import { loadConfigOrExit, requireDatabaseUrl } from "../shared/boot.ts";
import { buildDeps } from "../shared/deps.ts";
import { onShutdownSignal } from "../shared/http/serve.ts";
import { startWorker } from "./worker.ts";

const config = loadConfigOrExit();
const deps = await buildDeps({
  config,
  functionName: "worker",
  databaseUrl: requireDatabaseUrl(config, "the worker"),
});
const runner = await startWorker(deps);
deps.log.info({ concurrency: config.WORKER_CONCURRENCY }, "worker started");
onShutdownSignal(deps.log, async () => {
  await runner.stop();
  await deps.close();
});
