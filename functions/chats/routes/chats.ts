import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { requireRole } from "../../../shared/auth/authenticate.ts";
import { scopeOf } from "../../../shared/auth/principal.ts";
import { createChat, deleteChat, listChats, renameChat } from "../../../shared/chat/chats.ts";
import type { AppEnv } from "../../../shared/http/app-env.ts";
import {
  bearerSecurity,
  errorResponses,
  jsonBody,
  jsonResponse,
  protectedErrors,
} from "../../../shared/http/openapi-responses.ts";
import { createRouter } from "../../../shared/http/router.ts";
import {
  ChatIdParamsSchema,
  ChatListQuerySchema,
  ChatPageSchema,
  ChatSchema,
  CreateChatBodySchema,
  CreatedChatSchema,
  RenameChatBodySchema,
} from "../schemas.ts";
import { chatView } from "../serialize.ts";

const common = { tags: ["chats"], security: bearerSecurity, middleware: [requireRole("reader")] };

const list = createRoute({
  ...common,
  method: "get",
  path: "/api/chats",
  summary: "The caller's chats, newest first",
  request: { query: ChatListQuerySchema },
  responses: {
    200: jsonResponse("A page of chats", ChatPageSchema),
    ...errorResponses(400, 422),
    ...protectedErrors,
  },
});

const create = createRoute({
  ...common,
  method: "post",
  path: "/api/chats",
  summary: "Start a chat",
  description: "Chats are private to their owner (anyone else, admins included, gets a 404).",
  request: { body: jsonBody(CreateChatBodySchema, false) },
  responses: {
    201: jsonResponse("The new chat", CreatedChatSchema),
    ...errorResponses(422),
    ...protectedErrors,
  },
});

const rename = createRoute({
  ...common,
  method: "patch",
  path: "/api/chats/{id}",
  summary: "Rename a chat",
  request: { params: ChatIdParamsSchema, body: jsonBody(RenameChatBodySchema) },
  responses: { 200: jsonResponse("The chat", ChatSchema), ...errorResponses(404, 422), ...protectedErrors },
});

const remove = createRoute({
  ...common,
  method: "delete",
  path: "/api/chats/{id}",
  summary: "Delete a chat and its messages",
  request: { params: ChatIdParamsSchema },
  responses: { 204: { description: "Deleted" }, ...errorResponses(404, 422), ...protectedErrors },
});

export function chatRoutes(): OpenAPIHono<AppEnv> {
  return createRouter()
    .openapi(list, async (c) => {
      const page = await listChats(c.get("deps").db, scopeOf(c.get("principal")), c.req.valid("query"));
      return c.json({ items: page.rows.map(chatView), next_cursor: page.nextCursor }, 200);
    })
    .openapi(create, async (c) => {
      // The body is optional: without one it validates as {} and the chat gets the default name.
      const chat = await createChat(c.get("deps").db, scopeOf(c.get("principal")), c.req.valid("json"));
      return c.json({ chat_id: chat.id, name: chat.name, created_at: chat.created_at.toISOString() }, 201);
    })
    .openapi(rename, async (c) => {
      const chat = await renameChat(
        c.get("deps").db,
        scopeOf(c.get("principal")),
        c.req.valid("param").id,
        c.req.valid("json").name,
      );
      return c.json(chatView(chat), 200);
    })
    .openapi(remove, async (c) => {
      await deleteChat(c.get("deps").db, scopeOf(c.get("principal")), c.req.valid("param").id);
      return c.body(null, 204);
    });
}
