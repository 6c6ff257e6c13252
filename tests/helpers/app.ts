import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { OpenAPIHono } from "@hono/zod-openapi";
import { allRouteGroups } from "../../bin/route-groups.ts";
import { generateSigningJwk } from "../../shared/auth/keys.ts";
import { loadConfig } from "../../shared/config/index.ts";
import { buildContentDeps, type ContentDeps } from "../../shared/content-deps.ts";
import type { AppEnv } from "../../shared/http/app-env.ts";
import { createApp } from "../../shared/http/create-app.ts";
import { listen } from "../../shared/http/serve.ts";
import { createTestDatabase, type TestDatabase } from "./database.ts";

export interface TestApp {
  deps: ContentDeps;
  app: OpenAPIHono<AppEnv>;
  /** Base URL of the real HTTP server (loopback, random port). */
  url: string;
  /** fetch() against the real server: `call("/api/auth/me", { token })`. */
  call(path: string, init?: CallInit): Promise<Response>;
  close(): Promise<void>;
}

export interface CallInit extends Omit<RequestInit, "body"> {
  token?: string;
  /** Sent as JSON unless it is already a string, FormData or a stream. */
  json?: unknown;
  body?: RequestInit["body"];
}

export interface TestAppOptions {
  /** Extra environment, parsed by the real config schema. */
  env?: Record<string, string>;
  /** Reuse a database (e.g. two apps on one database); otherwise a fresh one is created and dropped. */
  database?: TestDatabase;
  routeGroups?: (version: string) => OpenAPIHono<AppEnv>[];
}

export const redisUrl = process.env.REDIS_URL;
export const servicesRequired = process.env.REQUIRE_SERVICES === "1";

/** Test-suite defaults: silent logs, cheap password hashing, a fresh signing key, a private data dir. */
export async function testEnv(extra: Record<string, string> = {}): Promise<Record<string, string>> {
  return {
    LOG_LEVEL: "silent",
    PASSWORD_SCRYPT_LOG_N: "10",
    JWT_KEYS: JSON.stringify([await generateSigningJwk("test-key-1")]),
    PORT: "0",
    ...extra,
  };
}

/** The real app (every route group) over real HTTP, on this file's own database. */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase());
  const dataDir = mkdtempSync(join(tmpdir(), "quarry-test-data-"));
  const config = loadConfig(
    await testEnv({ DATABASE_URL: database.url, DATA_DIR: dataDir, ...(options.env ?? {}) }),
  );
  const deps = await buildContentDeps({ config, functionName: "test", databaseUrl: database.url });
  const app = createApp(deps, (options.routeGroups ?? allRouteGroups)(config.BUILD_VERSION));
  const server = await listen(app, deps);
  return {
    deps,
    app,
    url: server.url,
    call(path, init = {}) {
      const { token, json, headers, ...rest } = init;
      const merged = new Headers(headers);
      if (token) merged.set("authorization", `Bearer ${token}`);
      let body = init.body;
      if (json !== undefined) {
        merged.set("content-type", "application/json");
        body = JSON.stringify(json);
      }
      return fetch(`${server.url}${path}`, { ...rest, headers: merged, body });
    },
    async close() {
      await server.close();
      await deps.close();
      if (!options.database) await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The body of a JSON response, typed by the caller (tests assert on it, so a wrong guess fails). */
export async function readJson<T = Record<string, unknown>>(res: Response): Promise<T> {
  return (await res.json()) as T;
}

export async function errorCode(res: Response): Promise<string> {
  return (await readJson<{ error: { code: string } }>(res)).error.code;
}
