import type { PostedResponse } from "../net/post-json.ts";
import type { ModelCallFailure } from "./metrics.ts";

/** Delay before retry number `attempt` (0-based): exponential, capped, with jitter in [½, 1] of the step. */
export function backoffDelay(attempt: number, baseMs: number, maxMs: number): number {
  const step = Math.min(maxMs, baseMs * 2 ** attempt);
  return Math.round(step / 2 + (Math.random() * step) / 2);
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | null {
  if (value === null || value.trim() === "") return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Waits `ms`, or rejects with the abort reason as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** One failed call to a model server: why, and whether (and after how long) to try again. */
export interface ModelCallAttemptFailure {
  reason: ModelCallFailure;
  message: string;
  retryable: boolean;
  retryAfterMs?: number;
}

const RETRYABLE_CLIENT_STATUSES = new Set([408, 409, 425, 429]);

/** The server's own error message: OpenAI's `{error: {message}}` or `{error: "…"}`, else the raw text. */
function errorDetail(text: string): string {
  try {
    const error = (JSON.parse(text) as { error?: { message?: unknown } | string }).error;
    if (typeof error === "string") return error;
    if (typeof error?.message === "string") return error.message;
  } catch {
    // not JSON: keep the raw text
  }
  return text.slice(0, 300);
}

/** A model server's error answer (status ≥ 400) as a failure; a Retry-After is honoured up to `maxRetryAfterMs`. */
export async function answerFailure(
  response: PostedResponse,
  maxRetryAfterMs: number,
): Promise<ModelCallAttemptFailure> {
  const detail = errorDetail(await response.text().catch(() => ""));
  const status = response.status;
  const message = `HTTP ${status}${detail ? `: ${detail}` : ""}`;
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(response.header("retry-after"));
    return {
      reason: "rate_limited",
      message,
      retryable: true,
      ...(retryAfterMs === null ? {} : { retryAfterMs: Math.min(retryAfterMs, maxRetryAfterMs) }),
    };
  }
  if (status >= 500) return { reason: "server_error", message, retryable: true };
  return { reason: "client_error", message, retryable: RETRYABLE_CLIENT_STATUSES.has(status) };
}

/** A request that got no answer (refused, reset, DNS): always worth another try. */
export function networkFailure(error: unknown): ModelCallAttemptFailure {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const detail = cause?.code ?? cause?.message ?? (error as Error).message;
  return { reason: "network", message: `network error: ${detail}`, retryable: true };
}
