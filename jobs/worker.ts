import { type Runner, run } from "graphile-worker";
import type { Deps } from "../shared/deps.ts";
import { CRONTAB, createTaskList } from "./task-list.ts";

/** Starts the graphile-worker runner on the shared pool (it installs its own schema first). */
export async function startWorker(deps: Deps): Promise<Runner> {
  return run({
    pgPool: deps.pool,
    concurrency: deps.config.WORKER_CONCURRENCY,
    taskList: createTaskList(deps),
    crontab: CRONTAB,
    noHandleSignals: true,
    pollInterval: 1000,
  });
}
