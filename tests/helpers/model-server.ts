import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A small OpenAI-compatible stand-in model server on loopback, for tests: deterministic answers,
 * programmable faults, and a record of every request. Routes live in a table, so a test (or a later
 * helper) can add `/v1/chat/completions` streaming with `server.route(...)`.
 */

export interface RecordedRequest {
  method: string;
  path: string;
  /** The query string, e.g. "?wait=true" ("" when none). */
  search: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

/** Applied to the next requests, one per request, in order, before the route answers. */
export type Fault =
  | { kind: "status"; status: number; retryAfter?: string; body?: unknown }
  | { kind: "delay"; ms: number }
  | { kind: "reset" };

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  body: unknown;
  server: ModelServer;
}

export type RouteHandler = (context: RouteContext) => Promise<void> | void;

export interface ModelServer {
  /** Base URL of the API, ending in `/v1`. */
  readonly url: string;
  /** Size of the vectors `/v1/embeddings` answers with (may be changed between requests). */
  dims: number;
  /** Answer embeddings in reverse order (clients must order by `index`). */
  reverseOrder: boolean;
  readonly requests: RecordedRequest[];
  /** Most requests in progress at once since the last `clear()` (earlier ones are not counted). */
  readonly maxInFlight: number;
  /** The next `times` requests answer `status` (e.g. 429 with `Retry-After`, or 500). */
  fail(times: number, status: number, options?: { retryAfter?: string; body?: unknown }): void;
  /** The next `times` requests wait `ms` before being answered. */
  delay(times: number, ms: number): void;
  /** The next `times` requests have their connection dropped without an answer. */
  drop(times: number): void;
  route(method: string, path: string, handler: RouteHandler): void;
  /** Forgets recorded requests and pending faults. */
  clear(): void;
  close(): Promise<void>;
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

/** The `input` texts of the `i`-th recorded embeddings request ([] when there is none). */
export function embeddingInputs(server: ModelServer, i: number): string[] {
  const body = server.requests[i]?.body as { input?: string[] } | undefined;
  return body?.input ?? [];
}

/** The stand-in's embedding of `text`: deterministic pseudo-random unit vector (not semantic). */
export function standInEmbedding(text: string, dims: number): number[] {
  const values: number[] = [];
  for (let i = 0; i < dims; i++) {
    let h = 0x811c9dc5 ^ i;
    for (let j = 0; j < text.length; j++) h = Math.imul(h ^ text.charCodeAt(j), 0x01000193);
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
    values.push(((h >>> 0) / 0xffffffff) * 2 - 1);
  }
  const norm = Math.sqrt(values.reduce((sum, v) => sum + v * v, 0));
  return values.map((v) => Math.fround(v / norm));
}

const embeddingsRoute: RouteHandler = ({ res, body, server }) => {
  const request = body as { model?: unknown; input?: unknown };
  const input = typeof request.input === "string" ? [request.input] : request.input;
  if (
    typeof request.model !== "string" ||
    !Array.isArray(input) ||
    input.some((t) => typeof t !== "string")
  ) {
    sendJson(res, 400, {
      error: { message: "expected {model: string, input: string[]}", type: "invalid_request" },
    });
    return;
  }
  const data = (input as string[]).map((text, index) => ({
    object: "embedding",
    index,
    embedding: standInEmbedding(text, server.dims),
  }));
  if (server.reverseOrder) data.reverse();
  const tokens = (input as string[]).reduce((sum, text) => sum + Math.ceil(text.length / 4), 0);
  sendJson(res, 200, {
    object: "list",
    data,
    model: request.model,
    usage: { prompt_tokens: tokens, total_tokens: tokens },
  });
};

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString("utf8");
  if (text === "") return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

export async function startModelServer(options: { dims?: number } = {}): Promise<ModelServer> {
  const routes = new Map<string, RouteHandler>([["POST /v1/embeddings", embeddingsRoute]]);
  const faults: Fault[] = [];
  const requests: RecordedRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  let generation = 0;

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { pathname: path, search } = new URL(req.url ?? "/", "http://stand-in");
    const body = await readBody(req);
    requests.push({ method: req.method ?? "GET", path, search, headers: req.headers, body });

    const fault = faults.shift();
    if (fault?.kind === "reset") {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === "status") {
      const headers: Record<string, string> = fault.retryAfter ? { "retry-after": fault.retryAfter } : {};
      sendJson(
        res,
        fault.status,
        fault.body ?? { error: { message: `stand-in fault ${fault.status}` } },
        headers,
      );
      return;
    }
    if (fault?.kind === "delay") {
      await new Promise((resolve) => setTimeout(resolve, fault.ms));
      if (res.destroyed) return;
    }
    const handler = routes.get(`${req.method} ${path}`);
    if (!handler) {
      sendJson(res, 404, { error: { message: `no stand-in route for ${req.method} ${path}` } });
      return;
    }
    await handler({ req, res, body, server });
  }

  const httpServer = createServer(async (req, res) => {
    const counted = generation;
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    // In flight until the answer is written (a client cannot see it earlier) or the client goes away.
    let done = false;
    const finished = () => {
      if (!done && counted === generation) inFlight--;
      done = true;
    };
    res.on("close", finished);
    try {
      await answer(req, res);
    } finally {
      finished();
    }
  });
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", resolve));
  const { port } = httpServer.address() as AddressInfo;

  const repeat = (times: number, fault: Fault) => {
    for (let i = 0; i < times; i++) faults.push(fault);
  };

  const server: ModelServer = {
    url: `http://127.0.0.1:${port}/v1`,
    dims: options.dims ?? 16,
    reverseOrder: false,
    requests,
    get maxInFlight() {
      return maxInFlight;
    },
    fail: (times, status, extra = {}) => repeat(times, { kind: "status", status, ...extra }),
    delay: (times, ms) => repeat(times, { kind: "delay", ms }),
    drop: (times) => repeat(times, { kind: "reset" }),
    route(method, path, handler) {
      routes.set(`${method.toUpperCase()} ${path}`, handler);
    },
    clear() {
      requests.length = 0;
      faults.length = 0;
      generation++;
      inFlight = 0;
      maxInFlight = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        httpServer.closeAllConnections();
        httpServer.close((error) => (error ? reject(error) : resolve()));
      }),
  };
  return server;
}
