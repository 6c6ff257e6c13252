import type { Kysely } from "kysely";
import type { DB } from "../../db/types.ts";
import type { AnalysisJob, AnalysisResult, AnalysisSource } from "./types.ts";

/** The run lost its analysis: canceled, retried (a newer run owns it) or deleted. It stops quietly. */
export class RunSuperseded extends Error {
  constructor() {
    super("the analysis was canceled, restarted or deleted");
    this.name = "RunSuperseded";
  }
}

/** Progress is written at most this often; each write is also the check for a cancel. */
const PROGRESS_INTERVAL_MS = 250;

/**
 * One run of an analysis and its hold on the row. `updated_at` doubles as the run's lease: every write of
 * the run is conditional on the value its previous write set (and on status `running`), so a cancel, a
 * retry's new run or a delete, which all change or remove the row, makes the old run's next write find
 * nothing, and it stops (RunSuperseded) without touching what now belongs to someone else.
 */
export class AnalysisRun {
  private lastProgressAt = 0;

  private constructor(
    private readonly db: Kysely<DB>,
    readonly job: AnalysisJob,
    private lease: Date,
  ) {}

  /** Takes a queued analysis (or one left running by a crashed attempt); null when it is not runnable. */
  static async start(db: Kysely<DB>, analysisId: string, tenantId: string): Promise<AnalysisRun | null> {
    const now = new Date();
    const job = await db
      .updateTable("analysis_jobs")
      .set({ status: "running", progress: 0, result: null, error: null, artifact_key: null, updated_at: now })
      .where("id", "=", analysisId)
      .where("tenant_id", "=", tenantId)
      .where("status", "in", ["queued", "running"])
      .returningAll()
      .executeTakeFirst();
    return job ? new AnalysisRun(db, job, now) : null;
  }

  private async write(
    set: Partial<{
      status: "ready" | "failed";
      progress: number;
      result: AnalysisResult;
      error: string | null;
      artifact_key: string;
      source: AnalysisSource;
      blob_key: string;
    }>,
  ): Promise<void> {
    // Strictly later than the lease, so the new value can never be mistaken for the old one.
    const next = new Date(Math.max(Date.now(), this.lease.getTime() + 1));
    const { result, source, ...rest } = set;
    const row = await this.db
      .updateTable("analysis_jobs")
      .set({
        ...rest,
        ...(result ? { result: { ...result } } : {}),
        ...(source ? { source: { ...source } } : {}),
        updated_at: next,
      })
      .where("id", "=", this.job.id)
      .where("tenant_id", "=", this.job.tenant_id)
      .where("status", "=", "running")
      .where("updated_at", "=", this.lease)
      .returning("id")
      .executeTakeFirst();
    if (!row) throw new RunSuperseded();
    this.lease = next;
  }

  /** Records progress (0–1) and checks the run still owns the analysis; throttled unless `force`. */
  async progress(value: number, force = false): Promise<void> {
    if (!force && Date.now() - this.lastProgressAt < PROGRESS_INTERVAL_MS) return;
    await this.write({ progress: Math.min(1, Math.max(0, value)) });
    this.lastProgressAt = Date.now();
  }

  /** A URL source was fetched and stored: later attempts and retries read the stored copy. */
  recordSource(source: AnalysisSource, blobKey: string): Promise<void> {
    return this.write({ source, blob_key: blobKey });
  }

  finish(result: AnalysisResult, artifactKey: string): Promise<void> {
    return this.write({ status: "ready", progress: 1, result, artifact_key: artifactKey });
  }

  fail(message: string): Promise<void> {
    return this.write({ status: "failed", error: message });
  }

  /** Keeps the run `running` with the error visible while graphile-worker waits to try again. */
  noteRetry(message: string): Promise<void> {
    return this.write({ error: message });
  }
}
