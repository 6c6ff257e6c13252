import type { TaskList } from "graphile-worker";
import type { Deps } from "../shared/deps.ts";
import { purgeExpiredTokens } from "./tasks/purge-expired-tokens.ts";

export function createTaskList(deps: Deps): TaskList {
  return {
    "maintenance:purge-expired-tokens": purgeExpiredTokens(deps),
  };
}

/** Scheduled tasks (graphile-worker crontab syntax). */
export const CRONTAB = ["30 3 * * * maintenance:purge-expired-tokens"].join("\n");
