import { sql } from "kysely";
import { Gauge } from "prom-client";
import type { Database } from "../../db/database.ts";
import type { Metrics } from "../metrics.ts";

const READY = sql`run_at <= now() and locked_at is null and attempts < max_attempts`;

/**
 * Queue and pipeline gauges, read from Postgres when /metrics is scraped (so they are right in whichever
 * process serves them): queue depth, oldest waiting job, jobs out of attempts, documents by status.
 * Registering twice on one registry (a worker restarted in the same process) keeps the first set.
 */
export function registerQueueGauges(metrics: Metrics, db: Database): void {
  if (metrics.registry.getSingleMetric("job_queue_depth")) return;
  const registers = [metrics.registry];
  const scalar = async (query: ReturnType<typeof sql<{ value: number | null }>>) =>
    (await query.execute(db)).rows[0]?.value ?? 0;
  new Gauge({
    name: "job_queue_depth",
    help: "Jobs ready to run and not yet taken",
    registers,
    async collect() {
      this.set(
        await scalar(
          sql<{ value: number }>`select count(*)::int as value from graphile_worker.jobs where ${READY}`,
        ),
      );
    },
  });
  new Gauge({
    name: "job_queue_oldest_age_seconds",
    help: "Age of the oldest job ready to run and not yet taken",
    registers,
    async collect() {
      this.set(
        await scalar(
          sql<{
            value: number | null;
          }>`select extract(epoch from now() - min(run_at))::float8 as value from graphile_worker.jobs where ${READY}`,
        ),
      );
    },
  });
  new Gauge({
    name: "job_queue_failed",
    help: "Jobs out of attempts, kept for inspection until purged to dead_letter_jobs",
    registers,
    async collect() {
      this.set(
        await scalar(
          sql<{
            value: number;
          }>`select count(*)::int as value from graphile_worker.jobs where attempts >= max_attempts`,
        ),
      );
    },
  });
  new Gauge({
    name: "documents_by_status",
    help: "Documents in each status",
    labelNames: ["status"],
    registers,
    async collect() {
      const rows = await db
        .selectFrom("documents")
        .select(["status", sql<number>`count(*)::int`.as("n")])
        .groupBy("status")
        .execute();
      this.reset();
      for (const row of rows) this.set({ status: row.status }, row.n);
    },
  });
}
