import type { Context } from "hono";
import { Hono } from "hono";
import type { Deps } from "../deps.ts";
import type { AppEnv } from "./app-env.ts";

/** Runs every readiness check of this process; a failing one is named, its error is not exposed. */
async function checkDependencies(deps: Deps): Promise<{ ok: boolean; checks: Record<string, string> }> {
  const entries = await Promise.all(
    Object.entries(deps.readinessChecks).map(async ([name, check]) => {
      try {
        await check();
        return [name, "ok"] as const;
      } catch (error) {
        deps.log.warn({ err: error, dependency: name }, "readiness check failed");
        return [name, "failing"] as const;
      }
    }),
  );
  return { ok: entries.every(([, state]) => state === "ok"), checks: Object.fromEntries(entries) };
}

async function dependencyReport(c: Context<AppEnv>): Promise<Response> {
  const report = await checkDependencies(c.get("deps"));
  return c.json({ status: report.ok ? "ok" : "unavailable", checks: report.checks }, report.ok ? 200 : 503);
}

/** `/healthz` (liveness; `?deep=1` checks dependencies), `/readyz`, `/metrics`: served by every function. */
export function healthRoutes(): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  routes.get("/healthz", (c) =>
    c.req.query("deep") === "1" ? dependencyReport(c) : c.json({ status: "ok" }),
  );
  routes.get("/readyz", dependencyReport);
  routes.get("/metrics", async (c) => {
    const { registry } = c.get("deps").metrics;
    return c.body(await registry.metrics(), 200, { "Content-Type": registry.contentType });
  });
  return routes;
}
