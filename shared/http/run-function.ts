import type { OpenAPIHono } from "@hono/zod-openapi";
import { loadConfigOrExit, requireDatabaseUrl } from "../boot.ts";
import { buildDeps } from "../deps.ts";
import type { AppEnv } from "./app-env.ts";
import { createApp } from "./create-app.ts";
import { listen, onShutdownSignal } from "./serve.ts";

/** The whole `main.ts` of a function bundle: config, dependencies, app, listen, clean shutdown. */
export async function runFunction(name: string, routeGroups: () => OpenAPIHono<AppEnv>[]): Promise<void> {
  const config = loadConfigOrExit();
  const deps = await buildDeps({ config, functionName: name, databaseUrl: requireDatabaseUrl(config, name) });
  const server = await listen(createApp(deps, routeGroups()), deps);
  deps.log.info({ url: server.url }, `${name} listening`);
  onShutdownSignal(deps.log, async () => {
    await server.close();
    await deps.close();
  });
}
