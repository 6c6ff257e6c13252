import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDatabase, createPool } from "../../db/database.ts";
import { chatsRoutes } from "../../functions/chats/index.ts";
import { createLogger } from "../../shared/logger.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { addChatCompletions, type ChatStandIn } from "../helpers/chat-stand-in.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";
import { type ModelServer, startModelServer } from "../helpers/model-server.ts";
import { createTeam } from "../helpers/users.ts";
import { eventData, newChat, parseSse } from "./fixtures.ts";

const LONG_REPLY = Array.from({ length: 200 }, (_, i) => `word${i}`).join(" ");

/** Reads a response body until `until` appears in it; returns what was read and the rest, as text. */
async function readUntil(res: Response, until: string): Promise<{ head: string; rest: Promise<string> }> {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let head = "";
  while (!head.includes(until)) {
    const chunk = await reader.read();
    if (chunk.done) break;
    head += decoder.decode(chunk.value, { stream: true });
  }
  const rest = (async () => {
    let text = "";
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) return text;
      text += decoder.decode(chunk.value, { stream: true });
    }
  })();
  return { head, rest };
}

describe("chats at shutdown: answers still running are stopped, stored and told, not cut off", () => {
  let database: TestDatabase;
  let server: ModelServer;
  let model: ChatStandIn;
  let t: TestApp;
  beforeAll(async () => {
    database = await createTestDatabase();
    server = await startModelServer();
    model = addChatCompletions(server);
    model.defaults.tokenDelayMs = 50; // 200 tokens: ten seconds, far past the grace
    model.defaults.reply = LONG_REPLY;
    t = await startTestApp({
      database,
      env: { LLM_URL: server.url, LLM_MODEL: "stand-in-model", SHUTDOWN_GRACE_SECONDS: "1" },
      routeGroups: () => [chatsRoutes({ heartbeatMs: 1000 })],
    });
  });
  afterAll(async () => {
    await server.close();
    await database.drop();
  });

  it("ends streams with an error event and a JSON answer with 503, the chat answers kept as interrupted", async () => {
    const { reader } = await createTeam(t.deps);
    const [streamChat, jsonChat] = [await newChat(t, reader.token), await newChat(t, reader.token)];
    const ask = (chatId: string, stream: boolean) =>
      t.call(`/api/chats/${chatId}/messages`, {
        method: "POST",
        token: reader.token,
        json: { content: "Tell me everything.", use_rag: false, response_stream: stream },
      });
    const streamed = await readUntil(await ask(streamChat, true), "word3");
    const completion = await readUntil(
      await t.call("/v1/chat/completions", {
        method: "POST",
        token: reader.token,
        json: {
          messages: [{ role: "user", content: "Tell me everything." }],
          stream: true,
          quarry: { use_rag: false },
        },
      }),
      "word3",
    );
    const json = ask(jsonChat, false);
    await new Promise((resolve) => setTimeout(resolve, 200)); // the JSON answer is running too

    await t.close(); // SHUTDOWN_GRACE_SECONDS=1: both answers still have seconds to go

    const events = parseSse(streamed.head + (await streamed.rest));
    const [error] = eventData<{ error: { code: string; details: { message_id: string } } }>(events, "error");
    expect(error?.error.code).toBe("overloaded");
    expect(eventData(events, "done")).toEqual([]);
    // The OpenAI-compatible stream ends with an error chunk, not [DONE] (it stores nothing).
    const chunks = (completion.head + (await completion.rest)).trim().split("\n\n");
    expect(JSON.parse((chunks.at(-1) as string).replace(/^data: /, ""))).toMatchObject({
      error: { code: "overloaded" },
    });
    expect(chunks).not.toContain("data: [DONE]");
    const refused = await json;
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");
    const body = (await refused.json()) as { error: { code: string; details: { message_id: string } } };
    expect(body.error.code).toBe("overloaded");

    const db = createDatabase(createPool(database.url, 1, createLogger("silent")));
    try {
      const answers = await db
        .selectFrom("chat_messages")
        .select(["id", "chat_id", "status", "content"])
        .where("role", "=", "assistant")
        .execute();
      const byChat = new Map(answers.map((row) => [row.chat_id, row]));
      for (const [chatId, messageId] of [
        [streamChat, error?.error.details.message_id],
        [jsonChat, body.error.details.message_id],
      ]) {
        const answer = byChat.get(chatId as string);
        expect(answer?.id).toBe(messageId);
        expect(answer?.status).toBe("interrupted");
        expect(answer?.content).toMatch(/^word0 word1 word2 word3/);
      }
    } finally {
      await db.destroy();
    }
  });
});
