import type { Context } from "hono";
import { activeStreamsGauge } from "../../shared/chat/metrics.ts";
import type { AppEnv } from "../../shared/http/app-env.ts";
import { onClientDisconnect } from "../../shared/http/node-bindings.ts";
import { requestLog } from "../../shared/http/request-context.ts";

export const HEARTBEAT_MS = 15_000;
/** Bytes of events the client has not read yet before `send` waits for it to catch up. */
const UNREAD_LIMIT_BYTES = 64 * 1024;

export interface SseSender {
  /** One event; `data` is sent as JSON (a string as is: it must hold no newline). */
  send(event: string | null, data: unknown): Promise<void>;
}

/**
 * An AbortController that fires when the client goes away: the connection closed before the response
 * finished, or the response stream was canceled (`sseResponse` aborts it then).
 */
export function clientGone(c: Context<AppEnv>): AbortController {
  const controller = new AbortController();
  onClientDisconnect(c, () => controller.abort(new Error("the client closed the connection")));
  return controller;
}

/**
 * A text/event-stream response (X-Request-ID is already set) with a `: ping` comment every
 * `heartbeatMs`. `body` must not throw: it reports its own errors as events. `onClose` runs once the
 * stream is over, whether it ended or the client left.
 *
 * Events go straight into the response body stream (Hono's streamSSE puts a TransformStream and a
 * second ReadableStream in between, three stream hops per token), and `send` only waits when the
 * client has fallen `UNREAD_LIMIT_BYTES` behind.
 */
export function sseResponse(
  c: Context<AppEnv>,
  options: { heartbeatMs: number; gone: AbortController; onClose: () => void },
  body: (sender: SseSender) => Promise<void>,
): Response {
  const gauge = activeStreamsGauge(c.get("deps").metrics.registry);
  const encoder = new TextEncoder();
  let open = true;
  let caughtUp: (() => void) | null = null;
  const resume = () => {
    caughtUp?.();
    caughtUp = null;
  };
  // Set by `start`, which the constructor calls at once.
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const stream = new ReadableStream<Uint8Array>(
    {
      start(started) {
        controller = started;
      },
      pull: resume,
      cancel() {
        open = false;
        resume();
        options.gone.abort(new Error("the client closed the connection"));
      },
    },
    { highWaterMark: UNREAD_LIMIT_BYTES, size: (chunk) => chunk.byteLength },
  );
  const write = (text: string) => {
    if (open) controller.enqueue(encoder.encode(text));
  };
  const sender: SseSender = {
    // JSON has no raw newlines and the strings sent ("[DONE]") none either: one data line each.
    async send(event, data) {
      const payload = typeof data === "string" ? data : JSON.stringify(data);
      write(`${event ? `event: ${event}\n` : ""}data: ${payload}\n\n`);
      if (open && (controller.desiredSize ?? 1) <= 0) {
        await new Promise<void>((resolve) => {
          caughtUp = resolve;
        });
      }
    },
  };

  gauge.inc();
  const heartbeat = setInterval(() => write(": ping\n\n"), options.heartbeatMs);
  const done = body(sender)
    .catch((error: unknown) => requestLog(c).error({ err: error }, "event stream failed"))
    .finally(() => {
      clearInterval(heartbeat);
      gauge.dec();
      if (open) {
        open = false;
        controller.close();
      }
      options.onClose();
    });
  c.get("deps").openStreams.track(options.gone, done);

  c.header("X-Accel-Buffering", "no");
  c.header("Transfer-Encoding", "chunked");
  c.header("Content-Type", "text/event-stream");
  c.header("Cache-Control", "no-cache");
  c.header("Connection", "keep-alive");
  return c.body(stream);
}
