import type { DocumentStatus } from "../../db/types.ts";

/** Every document status, in lifecycle order. */
export const DOCUMENT_STATUSES = [
  "uploading",
  "queued",
  "extracting",
  "chunking",
  "embedding",
  "indexing",
  "ready",
  "failed",
  "canceled",
  "deleting",
] as const satisfies readonly DocumentStatus[];

/** The ingest stages in order; each is a task `ingest:<stage>` and a status while it runs. */
export const STAGES = ["extract", "chunk", "embed", "index"] as const;
export type Stage = (typeof STAGES)[number];

export const STAGE_STATUS: Record<Stage, DocumentStatus> = {
  extract: "extracting",
  chunk: "chunking",
  embed: "embedding",
  index: "indexing",
};

/** Statuses in which a pipeline job is (or should be) pending or running. */
export const IN_PIPELINE: DocumentStatus[] = ["queued", "extracting", "chunking", "embedding", "indexing"];

export const nextStage = (stage: Stage): Stage | null => STAGES[STAGES.indexOf(stage) + 1] ?? null;

/**
 * Where a retry resumes: the first stage that has not ended, whether it started or not (a cancel can land
 * after one stage committed and before the next one started). Later stages may still hold the end of
 * an earlier run (a reindex restarts at embed): they run again after it.
 */
export function resumeStage(timestamps: Record<string, { started_at?: string; ended_at?: string }>): Stage {
  return STAGES.find((stage) => !timestamps[stage]?.ended_at) ?? "extract";
}

/** The stage a document in a pipeline status is waiting on or running (`queued` waits on extract). */
export function stageOfStatus(status: DocumentStatus): Stage | null {
  if (status === "queued") return "extract";
  return STAGES.find((stage) => STAGE_STATUS[stage] === status) ?? null;
}
