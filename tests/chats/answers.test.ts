import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { chatsRoutes } from "../../functions/chats/index.ts";
import { appendMessage } from "../../shared/chat/messages.ts";
import { countTokens } from "../../shared/text/tokens.ts";
import { errorCode, readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import {
  addChatCompletions,
  type ChatRequestBody,
  type ChatStandIn,
  DEFAULT_REPLY,
  replyDeltas,
} from "../helpers/chat-stand-in.ts";
import { eventually } from "../helpers/eventually.ts";
import { type ModelServer, startModelServer } from "../helpers/model-server.ts";
import { createTeam, createUser, type TestUser } from "../helpers/users.ts";
import { eventData, messagesOf, newChat, parseSse, seedDocument } from "./fixtures.ts";

interface AnswerJson {
  chat_id: string;
  message_id: string;
  user_message_id: string;
  created_at: string;
  cached: boolean;
  assistant_message: { role: string; content: string; created_at: string; status: string; model: string };
  usage: { tokens_in: number; tokens_out: number };
  rag: { items: { number: number; document_id: string; chunk_id: string; document_name: string }[] };
}

const HANDBOOK = [
  "The office opens at nine in the morning and closes at six in the evening.",
  "Parking permits are issued by the facilities team on the second floor.",
];

function chatRequestBody(server: ModelServer, i: number): ChatRequestBody {
  return server.requests.filter((r) => r.path === "/v1/chat/completions")[i]?.body as ChatRequestBody;
}

describe("chat answers against an OpenAI-compatible model server", () => {
  let server: ModelServer;
  let model: ChatStandIn;
  let t: TestApp;
  let user: TestUser;
  let documentId: string;

  beforeAll(async () => {
    server = await startModelServer();
    model = addChatCompletions(server);
    t = await startTestApp({
      env: {
        LLM_URL: server.url,
        LLM_MODEL: "stand-in-model",
        LLM_MAX_RETRIES: "2",
        LLM_FIRST_TOKEN_TIMEOUT_MS: "3000",
        CHAT_MAX_STREAMS_PER_USER: "2",
        CHAT_HISTORY_TOKEN_BUDGET: "120",
        ANSWER_CACHE_TTL_SECONDS: "0",
      },
      routeGroups: () => [chatsRoutes({ heartbeatMs: 40 })],
    });
    const team = await createTeam(t.deps);
    user = team.reader;
    documentId = (await seedDocument(t.deps, team.tenant.id, "handbook.md", HANDBOOK)).id;
  });
  afterAll(async () => {
    await t.close();
    await server.close();
  });
  beforeEach(() => {
    server.clear();
    model.reset();
  });

  const ask = (
    chatId: string,
    json: Record<string, unknown>,
    init: { signal?: AbortSignal; headers?: Record<string, string> } = {},
  ) => t.call(`/api/chats/${chatId}/messages`, { method: "POST", token: user.token, json, ...init });

  it("answers in JSON with the model's text, usage and the cited sources, and stores both messages", async () => {
    const chatId = await newChat(t, user.token);
    const res = await ask(chatId, { content: "When does the office open?" });
    expect(res.status).toBe(200);
    const answer = await readJson<AnswerJson>(res);
    expect(answer).toMatchObject({
      chat_id: chatId,
      cached: false,
      assistant_message: {
        role: "assistant",
        content: DEFAULT_REPLY,
        status: "complete",
        model: "stand-in-model",
      },
      // The stand-in reports usage when asked (stream_options.include_usage).
      usage: { tokens_in: 123, tokens_out: replyDeltas(DEFAULT_REPLY).length },
    });
    expect(answer.rag.items).toEqual([
      expect.objectContaining({ number: 1, document_id: documentId, document_name: "handbook.md" }),
    ]);

    const sent = chatRequestBody(server, 0);
    expect(sent).toMatchObject({
      model: "stand-in-model",
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(sent.messages?.[0]?.role).toBe("system");
    expect(sent.messages?.[0]?.content).toContain("[1] handbook.md, page 1\nThe office opens at nine");
    expect(sent.messages?.at(-1)).toEqual({ role: "user", content: "When does the office open?" });

    const stored = await messagesOf(t, user.token, chatId);
    expect(stored.map((m) => [m.role, m.status])).toEqual([
      ["user", "complete"],
      ["assistant", "complete"],
    ]);
    const assistant = stored[1];
    expect(assistant).toMatchObject({
      id: answer.message_id,
      content: DEFAULT_REPLY,
      model: "stand-in-model",
      tokens_in: 123,
      tokens_out: replyDeltas(DEFAULT_REPLY).length,
    });
    expect(assistant?.latency_ms).toBeGreaterThanOrEqual(0);
    expect(assistant?.citations.map((c) => c.number)).toEqual([1]);
    expect(stored[0]?.id).toBe(answer.user_message_id);
  });

  it("stores an answer whose model sent text Postgres cannot hold: U+0000 dropped, a lone surrogate U+FFFD", async () => {
    const chatId = await newChat(t, user.token);
    // A pair split across two deltas is one character, not two lone halves.
    model.next({ reply: ["Nine\u0000 ", "\ud83d", "\udd58 sharp,", " not \ud800", " ten."] });
    const res = await ask(chatId, { content: "When does the office open?", use_rag: false });
    expect(res.status).toBe(200);
    const expected = "Nine \u{1F558} sharp, not \ufffd ten.";
    expect((await readJson<AnswerJson>(res)).assistant_message.content).toBe(expected);
    const stored = await messagesOf(t, user.token, chatId);
    expect(stored.map((m) => [m.role, m.status, m.content])).toEqual([
      ["user", "complete", "When does the office open?"],
      ["assistant", "complete", expected],
    ]);
  });

  it("counts tokens with the tokenizer when the server reports no usage, and passes temperature and max_tokens", async () => {
    model.next({ usage: false, reply: "Nine o'clock [2]." });
    const chatId = await newChat(t, user.token);
    const answer = await readJson<AnswerJson>(
      await ask(chatId, { content: "office hours and parking", temperature: 0.2, max_tokens: 50 }),
    );
    expect(answer.usage.tokens_out).toBe(countTokens("Nine o'clock [2]."));
    expect(answer.usage.tokens_in).toBeGreaterThan(countTokens(HANDBOOK.join(" ")));
    expect(answer.rag.items.map((c) => c.number)).toEqual([2]);
    expect(chatRequestBody(server, 0)).toMatchObject({ temperature: 0.2, max_tokens: 50 });
  });

  it("sends the conversation, trimmed to the history budget with the newest turns kept, question last", async () => {
    const chatId = await newChat(t, user.token);
    const scope = {
      tenantId: (
        await t.deps.db
          .selectFrom("users")
          .select("tenant_id")
          .where("id", "=", user.id)
          .executeTakeFirstOrThrow()
      ).tenant_id,
      userId: user.id,
      role: "reader" as const,
    };
    const turn = (i: number) => `turn ${i}: ${"lorem ipsum dolor sit amet ".repeat(4).trim()}`;
    for (let i = 0; i < 8; i++) {
      await appendMessage(t.deps.db, scope, chatId, {
        role: i % 2 === 0 ? "user" : "assistant",
        content: turn(i),
      });
    }
    await appendMessage(t.deps.db, scope, chatId, { role: "assistant", content: "broken", status: "failed" });
    await ask(chatId, { content: "and parking?", use_rag: false });
    const sent = chatRequestBody(server, 0).messages ?? [];
    expect(sent[0]?.role).toBe("system");
    expect(sent[0]?.content).not.toContain("Sources:");
    const history = sent.slice(1, -1).map((m) => m.content);
    // Newest first, each with 4 tokens of framing, while the 120-token budget lasts.
    const expected: string[] = [];
    let budget = 120;
    for (let i = 7; i >= 0 && countTokens(turn(i)) + 4 <= budget; i--) {
      budget -= countTokens(turn(i)) + 4;
      expected.unshift(turn(i));
    }
    expect(expected.length).toBeGreaterThan(1);
    expect(expected.length).toBeLessThan(8);
    expect(history).toEqual(expected);
    expect(sent.at(-1)).toEqual({ role: "user", content: "and parking?" });
  });

  it("stores each message's token count and trims history by it; rows without one are counted when read", async () => {
    const tenantId = (
      await t.deps.db
        .selectFrom("users")
        .select("tenant_id")
        .where("id", "=", user.id)
        .executeTakeFirstOrThrow()
    ).tenant_id;
    const scope = { tenantId, userId: user.id, role: "reader" as const };
    const turns = ["first question here", "first answer here", "second question here", "second answer here"];
    const seeded = async () => {
      const chatId = await newChat(t, user.token);
      for (const [i, content] of turns.entries()) {
        await appendMessage(t.deps.db, scope, chatId, { role: i % 2 === 0 ? "user" : "assistant", content });
      }
      return chatId;
    };
    const countsOf = (chatId: string) =>
      t.deps.db
        .selectFrom("chat_messages")
        .select(["content", "content_tokens"])
        .where("chat_id", "=", chatId)
        .orderBy("created_at")
        .execute();
    const sentHistory = (i: number) =>
      (chatRequestBody(server, i).messages ?? []).slice(1, -1).map((m) => m.content);

    const stored = await seeded();
    expect(await countsOf(stored)).toEqual(
      turns.map((content) => ({ content, content_tokens: countTokens(content) })),
    );
    // A stored count is what the budget charges: one over the 120-token budget keeps only newer turns.
    await t.deps.db
      .updateTable("chat_messages")
      .set({ content_tokens: 117 })
      .where("chat_id", "=", stored)
      .where("content", "=", "second question here")
      .execute();
    await ask(stored, { content: "and parking?", use_rag: false });
    expect(sentHistory(0)).toEqual(["second answer here"]);
    const [question, answer] = (await countsOf(stored)).slice(-2);
    expect(question).toEqual({ content: "and parking?", content_tokens: countTokens("and parking?") });
    expect(answer?.content_tokens).toBe(countTokens(answer?.content ?? ""));

    const older = await seeded();
    await t.deps.db
      .updateTable("chat_messages")
      .set({ content_tokens: null })
      .where("chat_id", "=", older)
      .execute();
    await ask(older, { content: "and parking?", use_rag: false });
    expect(sentHistory(1)).toEqual(turns);
  });

  it("streams meta, tokens, citations and done over SSE, with heartbeats and X-Request-ID", async () => {
    model.next({ firstTokenDelayMs: 150 });
    const chatId = await newChat(t, user.token);
    const res = await ask(
      chatId,
      { content: "When does the office open?", response_stream: true },
      {
        headers: { "x-request-id": "sse-test-1" },
      },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(res.headers.get("x-request-id")).toBe("sse-test-1");
    const stream = parseSse(await res.text());
    const names = stream.events.map((e) => e.event);
    expect(names[0]).toBe("meta");
    expect(names.at(-1)).toBe("done");
    expect(names.filter((n) => n === "citation")).toHaveLength(1);
    expect(names.indexOf("citation")).toBeGreaterThan(names.lastIndexOf("token"));
    expect(stream.comments).toContain("ping");

    const [meta] = eventData<{
      chat_id: string;
      message_id: string;
      retrieval: { number: number }[];
      cached: boolean;
    }>(stream, "meta");
    expect(meta).toMatchObject({ chat_id: chatId, cached: false });
    // Only the first passage has every word of the question.
    expect(meta?.retrieval.map((r) => r.number)).toEqual([1]);
    const tokens = eventData<{ delta: string }>(stream, "token").map((e) => e.delta);
    expect(tokens.length).toBeGreaterThan(5);
    expect(tokens.join("")).toBe(DEFAULT_REPLY);
    expect(eventData(stream, "citation")[0]).toMatchObject({ number: 1, document_id: documentId });
    const [done] = eventData<{ message_id: string; usage: unknown; finish_reason: string }>(stream, "done");
    expect(done).toEqual({
      message_id: meta?.message_id,
      usage: { tokens_in: 123, tokens_out: replyDeltas(DEFAULT_REPLY).length },
      finish_reason: "stop",
      cached: false,
    });
    const stored = await messagesOf(t, user.token, chatId);
    expect(stored[1]).toMatchObject({ id: meta?.message_id, status: "complete", content: DEFAULT_REPLY });
  });

  it("ends with an error event and a failed message when the model fails mid-stream", async () => {
    for (const how of ["error-event", "reset"] as const) {
      model.next({ failAfter: { tokens: 3, how } });
      const chatId = await newChat(t, user.token);
      const res = await ask(chatId, { content: "office?", response_stream: true });
      const stream = parseSse(await res.text());
      const names = stream.events.map((e) => e.event);
      expect(names.at(-1)).toBe("error");
      expect(names).not.toContain("done");
      expect(
        eventData<{ delta: string }>(stream, "token")
          .map((e) => e.delta)
          .join(""),
      ).toBe("The handbook says");
      const [error] = eventData<{
        error: { code: string; details: Record<string, unknown> };
        request_id: string;
      }>(stream, "error");
      expect(error?.error.code).toBe("overloaded");
      expect(error?.request_id).toBe(res.headers.get("x-request-id"));
      const [meta] = eventData<{ message_id: string }>(stream, "meta");
      expect(error?.error.details.message_id).toBe(meta?.message_id);
      const stored = await messagesOf(t, user.token, chatId);
      expect(stored[1]).toMatchObject({ status: "failed", content: "The handbook says" });
      expect(stored[1]?.meta.error).toMatchObject({ code: "overloaded" });
      // No retry once text was sent.
      expect(chatRequestBody(server, 1)).toBeUndefined();
      server.clear();
    }
  });

  it("answers a JSON request whose model fails with 503 and keeps the failed message", async () => {
    model.next({ failAfter: { tokens: 2, how: "error-event" } });
    const chatId = await newChat(t, user.token);
    const res = await ask(chatId, { content: "office?" });
    expect(res.status).toBe(503);
    const body = await readJson<{ error: { code: string; details: { message_id: string; reason: string } } }>(
      res,
    );
    expect(body.error.code).toBe("overloaded");
    expect(body.error.details.reason).toBe("server_error");
    expect(JSON.stringify(body)).not.toContain("127.0.0.1");
    const stored = await messagesOf(t, user.token, chatId);
    expect(stored[1]).toMatchObject({ id: body.error.details.message_id, status: "failed" });
  });

  it("retries 429s before the first token (honouring Retry-After), and gives up after LLM_MAX_RETRIES", async () => {
    server.fail(2, 429, { retryAfter: "0" });
    const chatId = await newChat(t, user.token);
    const ok = await ask(chatId, { content: "office?" });
    expect(ok.status).toBe(200);
    expect(server.requests.filter((r) => r.path === "/v1/chat/completions")).toHaveLength(3);

    server.clear();
    server.fail(3, 429, { retryAfter: "0" });
    const refused = await ask(chatId, { content: "office?" });
    expect(refused.status).toBe(503);
    expect(refused.headers.get("retry-after")).toBe("5");
    const body = await readJson<{ error: { code: string; details: { reason: string } } }>(refused);
    expect(body.error).toMatchObject({ code: "overloaded", details: { reason: "rate_limited" } });
    expect(server.requests).toHaveLength(3);
  });

  it("aborts the model request when the client disconnects and stores the partial answer as interrupted", async () => {
    model.next({ tokenDelayMs: 60, reply: "one two three four five six seven eight nine ten eleven twelve" });
    const chatId = await newChat(t, user.token);
    const controller = new AbortController();
    const res = await ask(
      chatId,
      { content: "count for me", response_stream: true },
      { signal: controller.signal },
    );
    const reader = res.body?.getReader();
    const decoder = new TextDecoder();
    let text = "";
    while (!text.includes("event: token") || !text.includes("two")) {
      const chunk = await reader?.read();
      if (!chunk || chunk.done) break;
      text += decoder.decode(chunk.value);
    }
    controller.abort();
    await model.waitForAborted(1);
    expect(model.completed).toBe(0);
    const stored = await eventually(
      () => messagesOf(t, user.token, chatId),
      (rows) => rows.length === 2,
    );
    expect(stored[1]?.status).toBe("interrupted");
    expect(stored[1]?.content.startsWith("one two")).toBe(true);
    expect(stored[1]?.content.length).toBeLessThan(
      "one two three four five six seven eight nine ten eleven twelve".length,
    );
  });

  it("aborts a JSON answer too when its client leaves", async () => {
    model.next({ firstTokenDelayMs: 2000 });
    const chatId = await newChat(t, user.token);
    const controller = new AbortController();
    const pending = ask(chatId, { content: "slow one" }, { signal: controller.signal }).catch(() => null);
    await eventually(
      async () => model.open,
      (open) => open === 1,
    );
    controller.abort();
    await pending;
    await model.waitForAborted(1);
    const stored = await eventually(
      () => messagesOf(t, user.token, chatId),
      (rows) => rows.length === 2,
    );
    expect(stored[1]).toMatchObject({ status: "interrupted", content: "" });
  });

  it("limits concurrent streams per principal (429), not across users", async () => {
    model.defaults = { firstTokenDelayMs: 400 };
    const chatId = await newChat(t, user.token);
    const open = [
      ask(chatId, { content: "a", response_stream: true }),
      ask(chatId, { content: "b", response_stream: true }),
    ];
    const streams = await Promise.all(open);
    const third = await ask(chatId, { content: "c", response_stream: true });
    expect(third.status).toBe(429);
    expect(third.headers.get("retry-after")).toBe("1");
    expect(await errorCode(third)).toBe("rate_limited");

    const other = await createUser(t.deps, user.tenantId, "reader");
    const otherChat = await newChat(t, other.token);
    const theirs = await t.call(`/api/chats/${otherChat}/messages`, {
      method: "POST",
      token: other.token,
      json: { content: "d", response_stream: true },
    });
    expect(theirs.status).toBe(200);
    await theirs.text();
    await Promise.all(streams.map((s) => s.text()));
    const afterwards = await ask(chatId, { content: "e", response_stream: true });
    expect(afterwards.status).toBe(200);
    await afterwards.text();
  });

  it("replays a JSON answer for a retried Idempotency-Key without asking the model again", async () => {
    const chatId = await newChat(t, user.token);
    const headers = { "idempotency-key": `ask-${chatId}` };
    const first = await ask(chatId, { content: "office?" }, { headers });
    const second = await ask(chatId, { content: "office?" }, { headers });
    expect(second.status).toBe(200);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(await second.json()).toEqual(await first.json());
    expect(server.requests).toHaveLength(1);
    expect(await messagesOf(t, user.token, chatId)).toHaveLength(2);
  });

  it("refuses bad input: empty content, unknown fields, bad numbers (422), too long (413)", async () => {
    const chatId = await newChat(t, user.token);
    const invalid = [
      { content: "" },
      { content: "   \n" },
      {},
      { content: "x", max_tokens: -5 },
      { content: "x", max_tokens: 0 },
      { content: "x", temperature: 3 },
      { content: "x", rag_params: { top_k: 3, bogus: true } },
      { content: "x", rag_params: { top_k: 0 } },
      { content: "x", rag_params: { mode: "psychic" } },
      { content: "x", stream: true },
    ];
    for (const json of invalid) {
      const res = await ask(chatId, json);
      expect(res.status, JSON.stringify(json)).toBe(422);
      expect(await errorCode(res)).toBe("validation_failed");
    }
    const megabyte = await ask(chatId, { content: "a".repeat(1_000_000) });
    expect(megabyte.status).toBe(413);
    expect(await errorCode(megabyte)).toBe("payload_too_large");
    const overBody = await ask(chatId, { content: "a".repeat(2_000_000) });
    expect(overBody.status).toBe(413);
    expect(server.requests).toHaveLength(0);
    expect(await messagesOf(t, user.token, chatId)).toEqual([]);
  });
});

describe("chat backpressure", () => {
  let server: ModelServer;
  let model: ChatStandIn;
  let t: TestApp;
  let user: TestUser;

  beforeAll(async () => {
    server = await startModelServer();
    model = addChatCompletions(server);
    t = await startTestApp({
      env: {
        LLM_URL: server.url,
        LLM_MODEL: "stand-in-model",
        LLM_CONCURRENCY: "1",
        LLM_QUEUE_LIMIT: "1",
        RATE_LIMIT_CHAT: "6/60s",
      },
      routeGroups: () => [chatsRoutes()],
    });
    user = (await createTeam(t.deps)).reader;
  });
  afterAll(async () => {
    await t.close();
    await server.close();
  });

  it("queues one request, refuses the next with 503 overloaded and Retry-After at once, stores nothing for it", async () => {
    model.defaults = { firstTokenDelayMs: 1000 };
    const chatId = await newChat(t, user.token);
    const ask = (content: string, stream = false) =>
      t.call(`/api/chats/${chatId}/messages`, {
        method: "POST",
        token: user.token,
        json: { content, use_rag: false, response_stream: stream },
      });
    const running = ask("first", true);
    await eventually(
      async () => model.open,
      (open) => open === 1,
    );
    const queued = ask("second");
    await new Promise((resolve) => setTimeout(resolve, 50));
    const started = performance.now();
    for (const stream of [false, true]) {
      const refused = await ask("third", stream);
      expect(refused.status).toBe(503);
      expect(refused.headers.get("retry-after")).toBe("1");
      expect(refused.headers.get("content-type")).toMatch(/^application\/json/);
      expect(await errorCode(refused)).toBe("overloaded");
    }
    // Refused without waiting for the running answer (1 s) to free a slot.
    expect(performance.now() - started).toBeLessThan(600);
    expect((await running).status).toBe(200);
    expect((await queued).status).toBe(200);
    expect(server.maxInFlight).toBe(1);
    const contents = (await messagesOf(t, user.token, chatId))
      .filter((m) => m.role === "user")
      .map((m) => m.content);
    expect(contents.sort()).toEqual(["first", "second"]);
  });

  it("applies the per-user chat rate limit (RATE_LIMIT_CHAT) with the IETF headers", async () => {
    model.defaults = {};
    const other = await createUser(t.deps, user.tenantId, "reader");
    const chatId = await newChat(t, other.token);
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let i = 0; i < 7; i++) {
      last = await t.call(`/api/chats/${chatId}/messages`, {
        method: "POST",
        token: other.token,
        json: { content: `q${i}`, use_rag: false },
      });
      statuses.push(last.status);
      if (last.status !== 429) await last.text();
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 429]);
    expect(last?.headers.get("ratelimit-policy")).toBe('"chat";q=6;w=60');
    expect(Number(last?.headers.get("retry-after"))).toBeGreaterThan(0);
  });
});
