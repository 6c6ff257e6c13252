import type { Task, TaskList } from "graphile-worker";
import type { ContentDeps } from "../shared/content-deps.ts";
import type { TaskName } from "../shared/queue/catalog.ts";
import { defineTask } from "./define-task.ts";
import { MAINTENANCE } from "./maintenance/index.ts";
import { analyzeRunTask } from "./tasks/analyze-run.ts";
import { chunkTask } from "./tasks/ingest/chunk.ts";
import { closeUploadTask } from "./tasks/ingest/close-upload.ts";
import { deleteTask } from "./tasks/ingest/delete.ts";
import { embedTask } from "./tasks/ingest/embed.ts";
import { extractTask } from "./tasks/ingest/extract.ts";
import { indexTask } from "./tasks/ingest/index.ts";

function maintenanceTask(deps: ContentDeps, name: keyof typeof MAINTENANCE): Task {
  return defineTask(deps, `maintenance:${name}`, async () => {
    const report = await MAINTENANCE[name](deps);
    deps.log.info({ task: name, ...report }, "maintenance done");
  });
}

/** Every task of the catalog, bound to the process's dependencies (the record type makes it exhaustive). */
export function createTaskList(deps: ContentDeps): TaskList {
  const tasks: Record<TaskName, Task> = {
    "ingest:extract": extractTask(deps),
    "ingest:chunk": chunkTask(deps),
    "ingest:embed": embedTask(deps),
    "ingest:index": indexTask(deps),
    "ingest:delete": deleteTask(deps),
    "ingest:close-upload": closeUploadTask(deps),
    "analyze:run": analyzeRunTask(deps),
    "maintenance:expire-uploads": maintenanceTask(deps, "expire-uploads"),
    "maintenance:watchdog": maintenanceTask(deps, "watchdog"),
    "maintenance:reconcile-index": maintenanceTask(deps, "reconcile-index"),
    "maintenance:purge-failed-jobs": maintenanceTask(deps, "purge-failed-jobs"),
    "maintenance:purge-expired-tokens": maintenanceTask(deps, "purge-expired-tokens"),
    "maintenance:purge-answer-cache": maintenanceTask(deps, "purge-answer-cache"),
  };
  return tasks;
}

/** Scheduled maintenance (graphile-worker crontab syntax). */
export const CRONTAB = [
  "*/5 * * * * maintenance:expire-uploads",
  "*/5 * * * * maintenance:watchdog",
  "17 * * * * maintenance:reconcile-index",
  "40 3 * * * maintenance:purge-failed-jobs",
  "30 3 * * * maintenance:purge-expired-tokens",
  "45 * * * * maintenance:purge-answer-cache",
].join("\n");
