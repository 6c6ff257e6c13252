import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { Deps } from "../../shared/deps.ts";
import { ApiError } from "../../shared/errors.ts";
import type { AppEnv } from "../../shared/http/app-env.ts";
import { handleError } from "../../shared/http/error-handler.ts";
import { createLogger } from "../../shared/logger.ts";

/** An app whose routes throw, logging into `lines` through the shared error handler. */
function throwingApp(lines: string[]) {
  const log = createLogger("info", {}, { write: (line: string) => void lines.push(line) });
  const app = new Hono<AppEnv>();
  app.use("*", async (c, next) => {
    c.set("requestId", "rid-1");
    c.set("deps", { log } as unknown as Deps);
    await next();
  });
  app.get("/bug", () => {
    throw new Error("undefined is not a function");
  });
  app.get("/busy", () => {
    throw new ApiError(
      "overloaded",
      "llm is busy: too many requests are waiting, try again shortly",
      {},
      {
        "Retry-After": "1",
      },
    );
  });
  app.get("/bad", () => {
    throw new ApiError("validation_failed", "no");
  });
  app.onError(handleError);
  return app;
}

describe("how the error handler logs", () => {
  it("logs an unexpected error at error level with its stack, a deliberate 503 at warn, a 4xx not at all", async () => {
    const lines: string[] = [];
    const app = throwingApp(lines);
    const bug = await app.request("/bug");
    expect(bug.status).toBe(500);
    expect(await bug.json()).toEqual({
      error: { code: "internal", message: "internal error", details: {} },
      request_id: "rid-1",
    });
    const busy = await app.request("/busy");
    expect(busy.status).toBe(503);
    expect(busy.headers.get("retry-after")).toBe("1");
    expect((await app.request("/bad")).status).toBe(422);

    const logged = lines.map((line) => JSON.parse(line));
    expect(logged).toHaveLength(2);
    expect(logged[0]).toMatchObject({ level: 50, msg: "request failed", request_id: "rid-1" });
    expect(logged[0].err.stack).toContain("undefined is not a function");
    expect(logged[1]).toMatchObject({
      level: 40,
      msg: "request refused",
      code: "overloaded",
      reason: "llm is busy: too many requests are waiting, try again shortly",
    });
    expect(logged[1].err).toBeUndefined();
  });
});
