import type { ServerResponse } from "node:http";
import type { ModelServer, RouteContext } from "./model-server.ts";

/**
 * `/v1/chat/completions` for the stand-in model server: streams a reply word by word with configurable
 * delays, fails mid-stream on demand (an error chunk or a dropped connection), and counts requests the
 * client closed before the answer ended. 429s and other statuses come from `server.fail(...)`.
 */

export interface ChatScript {
  /**
   * The answer, streamed a word a delta, or the exact deltas to stream; a function sees the request
   * body. Default: a sentence citing [1].
   */
  reply?: string | string[] | ((body: ChatRequestBody) => string);
  firstTokenDelayMs?: number;
  tokenDelayMs?: number;
  /** After `tokens` deltas: send an error chunk (`error-event`) or drop the connection (`reset`). */
  failAfter?: { tokens: number; how: "error-event" | "reset" };
  /** Send a usage chunk when the client asks for one (stream_options.include_usage). Default true. */
  usage?: boolean;
  finishReason?: string;
}

export interface ChatRequestBody {
  model?: string;
  messages?: { role: string; content: string }[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  temperature?: number;
}

export interface ChatStandIn {
  /** Applies to every request that has no queued script. */
  defaults: ChatScript;
  /** Queues a script for the next request (one per request, in order). */
  next(script: ChatScript): void;
  /** Requests the client closed before the answer ended. */
  readonly aborted: number;
  readonly completed: number;
  /** Requests being answered now. */
  readonly open: number;
  /** Resolves once `count` requests have been closed by their client (rejects after `timeoutMs`). */
  waitForAborted(count: number, timeoutMs?: number): Promise<void>;
  reset(): void;
}

export const DEFAULT_REPLY = "The handbook says the office opens at nine [1].";

/** Words with the whitespace before them: how the stand-in splits a reply into deltas. */
export function replyDeltas(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

function wait(ms: number, res: ServerResponse): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      res.off("close", done);
      resolve();
    }
    res.once("close", done);
  });
}

export function addChatCompletions(server: ModelServer, defaults: ChatScript = {}): ChatStandIn {
  const queue: ChatScript[] = [];
  let aborted = 0;
  let completed = 0;
  let open = 0;
  const abortWaiters = new Set<() => void>();

  async function handle({ req, res, body }: RouteContext): Promise<void> {
    const request = (body ?? {}) as ChatRequestBody;
    const script = { ...state.defaults, ...(queue.shift() ?? {}) };
    const scripted =
      typeof script.reply === "function" ? script.reply(request) : (script.reply ?? DEFAULT_REPLY);
    const deltas = typeof scripted === "string" ? replyDeltas(scripted) : scripted;
    const reply = typeof scripted === "string" ? scripted : scripted.join("");
    const id = `chatcmpl-standin-${Date.now()}`;
    const model = request.model ?? "stand-in";
    open++;
    res.on("close", () => {
      open--;
      if (!res.writableEnded) {
        aborted++;
        for (const notify of abortWaiters) notify();
      }
    });
    if (request.stream !== true) {
      await wait(script.firstTokenDelayMs ?? 0, res);
      if (res.destroyed) return;
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({
          id,
          object: "chat.completion",
          model,
          choices: [{ index: 0, message: { role: "assistant", content: reply }, finish_reason: "stop" }],
          usage: { prompt_tokens: 11, completion_tokens: deltas.length },
        }),
      );
      completed++;
      return;
    }
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    const send = (data: unknown) => res.write(`data: ${JSON.stringify(data)}\n\n`);
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
      send({
        id,
        object: "chat.completion.chunk",
        model,
        choices: [{ index: 0, delta, finish_reason: finish }],
      });
    chunk({ role: "assistant", content: "" });
    await wait(script.firstTokenDelayMs ?? 0, res);
    for (let i = 0; i < deltas.length; i++) {
      if (res.destroyed) return;
      if (script.failAfter && i === script.failAfter.tokens) {
        if (script.failAfter.how === "reset") {
          // Let the tokens already written reach the client first: destroy() drops unflushed data.
          await new Promise<void>((resolve) => res.write(": flush\n\n", () => resolve()));
          await wait(20, res);
          req.socket.destroy();
          return;
        }
        send({ error: { message: "stand-in failed mid-stream", type: "server_error" } });
        res.end();
        completed++;
        return;
      }
      if (i > 0) await wait(script.tokenDelayMs ?? 0, res);
      if (res.destroyed) return;
      chunk({ content: deltas[i] });
    }
    chunk({}, script.finishReason ?? "stop");
    if ((script.usage ?? true) && request.stream_options?.include_usage) {
      send({
        id,
        object: "chat.completion.chunk",
        model,
        choices: [],
        usage: { prompt_tokens: 123, completion_tokens: deltas.length, total_tokens: 123 + deltas.length },
      });
    }
    res.end("data: [DONE]\n\n");
    completed++;
  }

  server.route("POST", "/v1/chat/completions", handle);
  const state: ChatStandIn = {
    defaults,
    next: (script) => queue.push(script),
    get aborted() {
      return aborted;
    },
    get completed() {
      return completed;
    },
    get open() {
      return open;
    },
    waitForAborted(count, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        if (aborted >= count) return resolve();
        const timer = setTimeout(() => {
          abortWaiters.delete(check);
          reject(
            new Error(`only ${aborted} of ${count} stand-in requests were aborted within ${timeoutMs} ms`),
          );
        }, timeoutMs);
        function check() {
          if (aborted < count) return;
          clearTimeout(timer);
          abortWaiters.delete(check);
          resolve();
        }
        abortWaiters.add(check);
      });
    },
    reset() {
      queue.length = 0;
      aborted = 0;
      completed = 0;
      state.defaults = {};
    },
  };
  return state;
}
