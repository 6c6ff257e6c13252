import { type DestinationStream, type Logger, pino } from "pino";

export type { Logger };

/** Fields whose values never reach a log line, at the top of a log object or one level down. */
const SECRET_FIELDS = new Set([
  "password",
  "new_password",
  "current_password",
  "token",
  "refresh_token",
  "access_token",
  "authorization",
  "cookie",
]);
const CENSOR = "[redacted]";

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== "object") return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * `object` with its secret fields censored, in a copy made only when there is one to censor: a request's
 * summary line holds none and is passed through untouched. pino's own `redact` option re-parses every path
 * on every line, which cost more than the rest of a cached authenticated request.
 */
function censorSecrets(object: Record<string, unknown>, depth = 0): Record<string, unknown> {
  let copy: Record<string, unknown> | null = null;
  for (const key in object) {
    const value = object[key];
    let censored = value;
    if (SECRET_FIELDS.has(key)) censored = CENSOR;
    else if (depth === 0 && isPlainObject(value)) censored = censorSecrets(value, 1);
    if (censored !== value) {
      copy ??= { ...object };
      copy[key] = censored;
    }
  }
  return copy ?? object;
}

export function createLogger(
  level: string,
  base: Record<string, unknown> = {},
  destination?: DestinationStream,
): Logger {
  const options = {
    level,
    base,
    formatters: { log: (object: Record<string, unknown>) => censorSecrets(object) },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  return destination ? pino(options, destination) : pino(options);
}
