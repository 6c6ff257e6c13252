import { setTimeout as sleep } from "node:timers/promises";
import { type Runner, run } from "graphile-worker";
import { sql } from "kysely";
import type { ContentDeps } from "../shared/content-deps.ts";
import { registerQueueGauges } from "../shared/queue/gauges.ts";
import { workerLogger } from "../shared/queue/worker-logger.ts";
import { CRONTAB, createTaskList } from "./task-list.ts";

const RESTART_DELAY_MS = 1000;
/** Jobs that succeeded lately, per runner: those whose removal from the queue may still be in flight. */
const RECENT_SUCCESSES = 1000;

export interface JobWorker {
  /** Stops taking jobs and waits for the running ones; no restart after this. */
  stop(): Promise<void>;
}

interface Launched {
  runner: Runner;
  /** Worker pools that took jobs: their locks are freed when the runner dies. */
  poolIds: Set<string>;
  succeeded: Set<string>;
  exited: boolean;
  /** It failed and a replacement was started: never stopped again. */
  replaced: boolean;
}

/**
 * Runs graphile-worker on the shared pool (it installs its own schema first) and keeps it running.
 * graphile-worker 0.17 gives up when it cannot record a job's end (the database restarting at that
 * moment): its worker pool shuts down, the job stays locked for 4 hours, and after two such failures
 * the runner never settles (its batcher's pending count goes below zero). So a worker pool that shuts
 * down without being asked is replaced by a new runner once the database answers, without waiting for
 * the old one: the locks its pools held are freed and the jobs it saw succeed are removed; the others
 * run again (they are idempotent). A job superseded by its next stage must not be left behind: `add_job`
 * took its key and attempts, so it would never run or leave the queue.
 */
export async function startWorker(deps: ContentDeps): Promise<JobWorker> {
  registerQueueGauges(deps.metrics, deps.db);
  const log = deps.log.child({ component: "worker" });
  let stopping = false;
  let restarting: Promise<void> | undefined;

  async function launch(): Promise<Launched> {
    const runner = await run({
      pgPool: deps.pool,
      concurrency: deps.config.WORKER_CONCURRENCY,
      taskList: createTaskList(deps),
      crontab: CRONTAB,
      noHandleSignals: true,
      pollInterval: 1000,
      logger: workerLogger(deps.log),
      // Batched (with no delay), a failure to record a job's end stops the pool cleanly; unbatched it is
      // an unhandled rejection that kills the process.
      preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
    });
    const launched: Launched = {
      runner,
      poolIds: new Set(),
      succeeded: new Set(),
      exited: false,
      replaced: false,
    };
    runner.events.on("job:start", ({ worker }) => launched.poolIds.add(worker.workerPool.id));
    runner.events.on("job:success", ({ job }) => {
      launched.succeeded.add(job.id);
      const oldest = launched.succeeded.values().next().value;
      if (launched.succeeded.size > RECENT_SUCCESSES && oldest !== undefined)
        launched.succeeded.delete(oldest);
    });
    const failed = () => {
      if (stopping || launched.replaced) return;
      launched.replaced = true;
      restarting = replace(launched);
    };
    // Its workers are done once the pool's shutdown completes (or fails): the runner may never settle.
    runner.events.on("pool:gracefulShutdown:complete", failed);
    runner.events.on("pool:gracefulShutdown:error", failed);
    const exited = () => {
      launched.exited = true;
      failed();
    };
    void runner.promise.then(exited, exited);
    return launched;
  }

  async function replace(dead: Launched): Promise<void> {
    log.error("job runner stopped on an error; starting a new one");
    // Releases its cron; its worker pool is already down.
    if (!dead.exited) dead.runner.stop().catch(() => {});
    while (!stopping) {
      await sleep(RESTART_DELAY_MS);
      if (stopping) return;
      try {
        if (dead.poolIds.size > 0) {
          await deps.db.transaction().execute(async (trx) => {
            await sql`select graphile_worker.force_unlock_workers(${[...dead.poolIds]}::text[])`.execute(trx);
            await sql`select graphile_worker.complete_jobs(${[...dead.succeeded]}::bigint[])`.execute(trx);
          });
        }
        current = await launch();
        log.info("job runner restarted");
        return;
      } catch (error) {
        log.warn({ err: error }, "job runner could not restart yet");
      }
    }
  }

  let current = await launch();
  return {
    async stop() {
      stopping = true;
      await restarting;
      if (!current.exited && !current.replaced) await current.runner.stop();
    },
  };
}
