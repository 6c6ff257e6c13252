import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import { isPgError, PG_ERROR } from "../../db/pg-errors.ts";
import { ApiError, type ErrorCode, errorEnvelope } from "../errors.ts";
import { NUL_REFUSED } from "../text/storable-text.ts";
import type { AppEnv } from "./app-env.ts";
import { requestLog } from "./request-context.ts";

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  409: "conflict",
  413: "payload_too_large",
  415: "unsupported_media_type",
  422: "validation_failed",
  429: "rate_limited",
  503: "overloaded",
};

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HTTPException) {
    const code = CODE_BY_STATUS[error.status];
    if (code) return new ApiError(code, error.message || code.replaceAll("_", " "));
  }
  // Valid JSON, a query string or a form field may carry U+0000; Postgres refuses to store it in text.
  if (isPgError(error, PG_ERROR.characterNotInRepertoire, PG_ERROR.untranslatableCharacter)) {
    return new ApiError("validation_failed", NUL_REFUSED);
  }
  return new ApiError("internal", "internal error");
}

/**
 * Every error leaves as the envelope; a 5xx never carries internals (they go to the log). An unexpected
 * error is logged at `error` with its stack; a deliberate 5xx (503 overloaded, the model unavailable) is
 * the service shedding load, logged at `warn` by its code, so a busy hour does not read as a failing one.
 */
export function handleError(error: unknown, c: Context<AppEnv>): Response {
  const apiError = toApiError(error);
  const requestId = c.get("requestId") ?? "unknown";
  if (apiError.code === "internal") requestLog(c).error({ err: error }, "request failed");
  else if (apiError.status >= 500) {
    requestLog(c).warn({ code: apiError.code, reason: apiError.message }, "request refused");
  }
  for (const [name, value] of Object.entries(apiError.headers)) c.header(name, value);
  return c.json(errorEnvelope(apiError, requestId), apiError.status);
}

export function handleNotFound(c: Context<AppEnv>): Response {
  return handleError(new ApiError("not_found", `no route for ${c.req.method} ${c.req.path}`), c);
}
