import { type Logger, pino } from "pino";

export type { Logger };

/** Keys whose values never reach a log line, wherever they appear. */
const REDACTED_PATHS = [
  "password",
  "*.password",
  "new_password",
  "*.new_password",
  "current_password",
  "*.current_password",
  "token",
  "*.token",
  "refresh_token",
  "*.refresh_token",
  "access_token",
  "*.access_token",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "headers.cookie",
];

export function createLogger(level: string, base: Record<string, unknown> = {}): Logger {
  return pino({
    level,
    base,
    redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    timestamp: pino.stdTimeFunctions.isoTime,
  });
}
