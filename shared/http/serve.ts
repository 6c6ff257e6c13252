import { type ServerType, serve } from "@hono/node-server";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Deps } from "../deps.ts";
import type { AppEnv } from "./app-env.ts";

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Listens on HOST:PORT. `close()` stops accepting, gives open answer streams SHUTDOWN_GRACE_SECONDS to
 * end (then stops them), and waits for in-flight requests.
 */
export async function listen(app: OpenAPIHono<AppEnv>, deps: Deps): Promise<RunningServer> {
  const { HOST, PORT } = deps.config;
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, hostname: HOST, port: PORT }, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : PORT;
  const host = HOST.includes(":") ? `[${HOST}]` : HOST;
  return {
    url: `http://${host === "0.0.0.0" ? "127.0.0.1" : host}:${port}`,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      await deps.openStreams.drain(deps.config.SHUTDOWN_GRACE_SECONDS * 1000);
      // The streams' keep-alive connections are idle now; left open, each would hold the close for its timeout.
      if ("closeIdleConnections" in server) server.closeIdleConnections();
      await closed;
    },
  };
}

/** Runs `shutdown` once on SIGINT/SIGTERM (or SIGHUP: the terminal `npm start` runs in was closed), then exits. */
export function onShutdownSignal(log: Deps["log"], shutdown: () => Promise<void>): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(signal, () => stop(signal));
}
