import type { OpenAPIHono } from "@hono/zod-openapi";
import { loadConfigOrExit, requireDatabaseUrl } from "../boot.ts";
import type { Deps, DepsOptions } from "../deps.ts";
import { startTracing } from "../tracing/index.ts";
import type { AppEnv } from "./app-env.ts";
import { createApp } from "./create-app.ts";
import { listen, onShutdownSignal } from "./serve.ts";

/**
 * The whole `main.ts` of a function bundle: config, dependencies, app, listen, clean shutdown. Each main
 * names its dependency builder (`buildDeps`, or `buildContentDeps` for the content routes), so a bundle
 * carries only the ports it uses.
 */
export async function runFunction(
  name: string,
  build: (options: DepsOptions) => Promise<Deps>,
  routeGroups: () => OpenAPIHono<AppEnv>[],
): Promise<void> {
  const config = loadConfigOrExit();
  const tracing = await startTracing(config, name);
  const deps = await build({ config, functionName: name, databaseUrl: requireDatabaseUrl(config, name) });
  const server = await listen(createApp(deps, routeGroups()), deps);
  deps.log.info({ url: server.url }, `${name} listening`);
  onShutdownSignal(deps.log, async () => {
    await server.close();
    await deps.close();
    await tracing.shutdown();
  });
}
