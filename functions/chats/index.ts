import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../shared/http/app-env.ts";
import { createRouter } from "../../shared/http/router.ts";
import { chatRoutes } from "./routes/chats.ts";
import { completionRoutes } from "./routes/completions.ts";
import { messageRoutes } from "./routes/messages.ts";
import { modelRoutes } from "./routes/models.ts";
import { postMessageRoutes } from "./routes/post-message.ts";
import { HEARTBEAT_MS } from "./sse.ts";

export interface ChatsRoutesOptions {
  /** Period of the `: ping` comment on answer streams (tests shorten it). */
  heartbeatMs?: number;
}

/** Routes under /api/chats and the OpenAI-compatible /v1 routes. */
export function chatsRoutes(options: ChatsRoutesOptions = {}): OpenAPIHono<AppEnv> {
  const runtime = { heartbeatMs: options.heartbeatMs ?? HEARTBEAT_MS };
  const routes = createRouter();
  for (const group of [
    chatRoutes(),
    messageRoutes(),
    postMessageRoutes(runtime),
    completionRoutes(runtime),
    modelRoutes(),
  ]) {
    routes.route("/", group);
  }
  return routes;
}
