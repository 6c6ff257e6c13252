import { ApiError } from "../errors.ts";
import { ShuttingDown } from "../http/open-streams.ts";
import { LanguageModelError } from "../llm/errors.ts";

/** Temporary conditions of the model server: worth retrying later. */
const TEMPORARY = new Set(["rate_limited", "server_error", "network", "timeout"]);

/**
 * What a caller is told when the model fails: the kind of failure, never the server's address or its
 * raw answer (those go to the log).
 */
export function answerError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof LanguageModelError) {
    if (TEMPORARY.has(error.reason)) {
      return new ApiError(
        "overloaded",
        "the language model is unavailable or did not finish answering, try again shortly",
        { reason: error.reason },
        { "Retry-After": error.reason === "rate_limited" ? "5" : "1" },
      );
    }
    return new ApiError("internal", "the language model could not answer this request", {
      reason: error.reason,
    });
  }
  return new ApiError("internal", "internal error");
}

/**
 * Why an answer was stopped before its end, as its caller is told: shutdown stopped it (ask again), or
 * null when the caller itself went away.
 */
export function interruption(signal: AbortSignal): ApiError | null {
  if (!(signal.reason instanceof ShuttingDown)) return null;
  return new ApiError(
    "overloaded",
    "the server is restarting: ask again in a moment",
    {},
    { "Retry-After": "5" },
  );
}
