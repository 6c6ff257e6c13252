import { Logger as WorkerLogger } from "graphile-worker";
import type { Logger } from "../logger.ts";

const LEVELS = { error: "error", warning: "warn", info: "info", debug: "debug" } as const;

/** graphile-worker's own messages as JSON lines through our logger, at debug below warnings. */
export function workerLogger(log: Logger): WorkerLogger {
  return new WorkerLogger((scope) => (level, message, meta) => {
    const pinoLevel = LEVELS[level as keyof typeof LEVELS] ?? "info";
    const target = pinoLevel === "info" ? "debug" : pinoLevel;
    log[target]({ component: "graphile-worker", ...scope, ...meta }, message);
  });
}
