import { serve } from "@hono/node-server";
import { Hono } from "hono";

/** The baseline: a bare Hono app on the same server adapter, nothing else. */
const app = new Hono();
app.get("/healthz", (c) => c.json({ status: "ok" }));
app.get("/hello", (c) => c.json({ hello: "world" }));
serve({ fetch: app.fetch, hostname: "127.0.0.1", port: Number(process.env.PORT ?? 0) });
