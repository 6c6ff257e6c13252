import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface DocumentServer {
  /** The loopback address it listens on (127.0.0.1 unless told otherwise). */
  host: string;
  port: number;
  /** Requests seen, as "METHOD /path" with the Host header: "GET /doc (public.test:41233)". */
  requests: string[];
  route(path: string, handler: Handler): void;
  close(): Promise<void>;
}

/** A loopback HTTP server whose answers each test sets per path. */
export async function startDocumentServer(host = "127.0.0.1"): Promise<DocumentServer> {
  const routes = new Map<string, Handler>();
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? "/", "http://x").pathname;
    requests.push(`${req.method} ${path} (${req.headers.host})`);
    const handler = routes.get(path);
    if (handler) handler(req, res);
    else {
      res.writeHead(404, { "content-type": "text/plain" });
      res.end("no such test document");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    host,
    port: (server.address() as AddressInfo).port,
    requests,
    route: (path, handler) => routes.set(path, handler),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export const serve =
  (contentType: string, body: string | Buffer, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(200, { "content-type": contentType, ...headers });
    res.end(body);
  };

export const redirectTo =
  (location: string, status = 302): Handler =>
  (_req, res) => {
    res.writeHead(status, { location });
    res.end();
  };
