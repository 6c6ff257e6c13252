import type { ContentDeps } from "../../shared/content-deps.ts";
import type { TaskName } from "../../shared/queue/catalog.ts";
import { expireUploads } from "./expire-uploads.ts";
import { purgeAnswerCache } from "./purge-answer-cache.ts";
import { purgeExpiredTokens } from "./purge-expired-tokens.ts";
import { purgeFailedJobs } from "./purge-failed-jobs.ts";
import { reconcileIndex } from "./reconcile-index.ts";
import { watchdog } from "./watchdog.ts";

/** Maintenance work by name: run from the crontab (as tasks) or by hand (`npm run jobs -- <name>`). */
type MaintenanceName =
  Extract<TaskName, `maintenance:${string}`> extends `maintenance:${infer Name}` ? Name : never;

export const MAINTENANCE: Record<MaintenanceName, (deps: ContentDeps) => Promise<Record<string, number>>> = {
  "expire-uploads": expireUploads,
  watchdog,
  "reconcile-index": reconcileIndex,
  "purge-failed-jobs": purgeFailedJobs,
  "purge-expired-tokens": purgeExpiredTokens,
  "purge-answer-cache": purgeAnswerCache,
};
