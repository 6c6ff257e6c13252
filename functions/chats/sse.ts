import type { Context } from "hono";
import { streamSSE } from "hono/streaming";
import { activeStreamsGauge } from "../../shared/chat/metrics.ts";
import type { AppEnv } from "../../shared/http/app-env.ts";

export const HEARTBEAT_MS = 15_000;

export interface SseSender {
  /** One event; `data` is sent as JSON (a string as is: it must hold no newline). */
  send(event: string | null, data: unknown): Promise<void>;
}

/**
 * An AbortSignal that fires when the client goes away: the request's own signal (the connection closed
 * before the response finished) or the response stream being canceled.
 */
export function clientGone(c: Context<AppEnv>): AbortController {
  const controller = new AbortController();
  const signal = c.req.raw.signal;
  const abort = () => controller.abort(new Error("the client closed the connection"));
  if (signal.aborted) abort();
  else signal.addEventListener("abort", abort, { once: true });
  return controller;
}

/**
 * A text/event-stream response (X-Request-ID is already set) with a `: ping` comment every
 * `heartbeatMs`. `body` must not throw: it reports its own errors as events. `onClose` runs once the
 * stream is over, whether it ended or the client left.
 */
export function sseResponse(
  c: Context<AppEnv>,
  options: { heartbeatMs: number; gone: AbortController; onClose: () => void },
  body: (sender: SseSender) => Promise<void>,
): Response {
  const gauge = activeStreamsGauge(c.get("deps").metrics.registry);
  c.header("X-Accel-Buffering", "no");
  return streamSSE(c, async (stream) => {
    gauge.inc();
    stream.onAbort(() => options.gone.abort(new Error("the client closed the connection")));
    const heartbeat = setInterval(() => {
      void stream.write(": ping\n\n");
    }, options.heartbeatMs);
    try {
      await body({
        // JSON has no raw newlines and the strings sent ("[DONE]") none either: one data line each.
        send: async (event, data) => {
          const payload = typeof data === "string" ? data : JSON.stringify(data);
          await stream.write(`${event ? `event: ${event}\n` : ""}data: ${payload}\n\n`);
        },
      });
    } finally {
      clearInterval(heartbeat);
      gauge.dec();
      options.onClose();
    }
  });
}
