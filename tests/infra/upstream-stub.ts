import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** What a stub function saw of one request, as it answers it (JSON). */
export interface Echo {
  function: string;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  bytes: number;
}

/**
 * A stand-in for one function behind nginx, on loopback:
 * - `…/stream`: server-sent events — `meta` at once, `done` only after `release(id)` is called for the
 *   request's X-Request-ID (so a test can tell whether `meta` reached it before the stream ended);
 * - `…/hold`: an answer held open until `release(id)`;
 * - anything else: an echo of the request (body bytes counted, not kept).
 * Like the functions, it answers with the X-Request-ID it was given.
 */
export interface UpstreamStub {
  name: string;
  port: number;
  /** Requests currently held open by `/hold` or `/stream`. */
  held(): number;
  release(requestId: string): void;
  close(): Promise<void>;
}

export async function startUpstreamStub(name: string): Promise<UpstreamStub> {
  const gates = new Map<string, () => void>();
  const waiting = new Map<string, Promise<void>>();
  const gate = (id: string) => {
    let promise = waiting.get(id);
    if (!promise) {
      promise = new Promise<void>((resolve) => gates.set(id, resolve));
      waiting.set(id, promise);
    }
    return promise;
  };
  let held = 0;

  const holdUntilReleased = async (id: string, res: ServerResponse, first: string, last: string) => {
    held += 1;
    res.write(first);
    try {
      await gate(id);
    } finally {
      held -= 1;
    }
    res.end(last);
  };

  const server: Server = createServer((req, res) => {
    const requestId = String(req.headers["x-request-id"] ?? "");
    let bytes = 0;
    req.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
    });
    req.on("end", () => {
      res.setHeader("X-Request-ID", requestId);
      const path = (req.url ?? "").split("?")[0] ?? "";
      if (path.endsWith("/stream")) {
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
        void holdUntilReleased(
          requestId,
          res,
          'event: meta\ndata: {"step":1}\n\n',
          'event: done\ndata: {"step":2}\n\n',
        );
        return;
      }
      if (path.endsWith("/hold")) {
        res.writeHead(200, { "content-type": "text/plain" });
        void holdUntilReleased(requestId, res, "", "released");
        return;
      }
      const echo: Echo = {
        function: name,
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        bytes,
      };
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(echo));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    name,
    port: (server.address() as AddressInfo).port,
    held: () => held,
    release(requestId) {
      gate(requestId);
      gates.get(requestId)?.();
    },
    close: () =>
      new Promise((resolve) => {
        for (const open of gates.values()) open();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
