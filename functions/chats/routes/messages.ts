import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { requireRole } from "../../../shared/auth/authenticate.ts";
import { scopeOf } from "../../../shared/auth/principal.ts";
import { getChat } from "../../../shared/chat/chats.ts";
import { listMessages } from "../../../shared/chat/messages.ts";
import type { AppEnv } from "../../../shared/http/app-env.ts";
import {
  bearerSecurity,
  errorResponses,
  jsonResponse,
  protectedErrors,
} from "../../../shared/http/openapi-responses.ts";
import { createRouter } from "../../../shared/http/router.ts";
import { ChatIdParamsSchema, MessageListQuerySchema, MessagePageSchema } from "../schemas.ts";
import { messageView } from "../serialize.ts";

const route = createRoute({
  method: "get",
  path: "/api/chats/{id}/messages",
  tags: ["chats"],
  summary: "A chat's messages, oldest first",
  description: "Pages go forward in time: next_cursor continues after the last message of the page.",
  security: bearerSecurity,
  middleware: [requireRole("reader")] as const,
  request: { params: ChatIdParamsSchema, query: MessageListQuerySchema },
  responses: {
    200: jsonResponse("A page of messages", MessagePageSchema),
    ...errorResponses(400, 404, 422),
    ...protectedErrors,
  },
});

export function messageRoutes(): OpenAPIHono<AppEnv> {
  return createRouter().openapi(route, async (c) => {
    const { db } = c.get("deps");
    const scope = scopeOf(c.get("principal"));
    const chat = await getChat(db, scope, c.req.valid("param").id);
    const page = await listMessages(db, scope, chat.id, c.req.valid("query"));
    return c.json({ items: page.rows.map(messageView), next_cursor: page.nextCursor }, 200);
  });
}
