import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { answerCacheKey, normalizeQuestion } from "../../shared/chat/answer-cache.ts";
import { readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import { addChatCompletions, type ChatStandIn, DEFAULT_REPLY } from "../helpers/chat-stand-in.ts";
import { type ModelServer, startModelServer } from "../helpers/model-server.ts";
import { createTeam, type TestUser } from "../helpers/users.ts";
import {
  runningWorkers,
  startTestWorker,
  type TestWorker,
  waitForGone,
  waitForStatus,
} from "../helpers/worker.ts";
import { eventData, newChat, parseSse } from "./fixtures.ts";

interface AnswerJson {
  message_id: string;
  cached: boolean;
  assistant_message: { content: string };
  usage: { tokens_in: number; tokens_out: number };
  rag: { items: { number: number; document_id: string }[] };
}

const QUESTION = "Where are parking permits issued?";
const TEXT = [
  "# Facilities handbook",
  "",
  "Parking permits are issued by the facilities team on the second floor, Monday to Friday.",
  "",
  "The office opens at nine in the morning.",
].join("\n");

describe("answer cache: single-turn RAG answers, dropped when their documents change", () => {
  let server: ModelServer;
  let model: ChatStandIn;
  let t: TestApp;
  let worker: TestWorker;
  let editor: TestUser;
  let documentId: string;

  const completions = () => server.requests.filter((r) => r.path === "/v1/chat/completions").length;
  const cacheRows = () => t.deps.db.selectFrom("answer_cache").selectAll().execute();
  const ask = async (chatId: string, content: string, stream = false) =>
    t.call(`/api/chats/${chatId}/messages`, {
      method: "POST",
      token: editor.token,
      json: { content, response_stream: stream, rag_params: { mode: "lexical" } },
    });

  beforeAll(async () => {
    server = await startModelServer();
    model = addChatCompletions(server);
    t = await startTestApp({ env: { LLM_URL: server.url, LLM_MODEL: "stand-in-model" } });
    ({ editor } = await createTeam(t.deps));
    worker = await startTestWorker(t);
    const body = new FormData();
    body.append("file", new Blob([TEXT]), "facilities.md");
    const res = await t.call("/api/rag/upload", { method: "POST", token: editor.token, body });
    expect(res.status).toBe(201);
    documentId = (await readJson<{ id: string }>(res)).id;
    await waitForStatus(t, documentId, "ready");
  });
  afterAll(async () => {
    await worker?.stop();
    expect(runningWorkers()).toBe(0);
    await t?.close();
    await server?.close();
  });
  beforeEach(() => {
    server.clear();
    model.reset();
  });

  it("normalises questions and keys entries by tenant, question, model, prompt version and chunks", () => {
    expect(normalizeQuestion("  Where  are Parking permits ISSUED?? ")).toBe(
      "where are parking permits issued",
    );
    const base = {
      tenantId: "t1",
      question: QUESTION,
      model: "m",
      promptVersion: "1:x",
      chunkIds: ["a", "b"],
    };
    const key = answerCacheKey(base);
    expect(answerCacheKey({ ...base, question: "where are parking permits issued" })).toBe(key);
    for (const change of [
      { tenantId: "t2" },
      { model: "other" },
      { promptVersion: "1:y" },
      { chunkIds: ["b", "a"] },
      { question: "Where are bikes kept?" },
    ]) {
      expect(answerCacheKey({ ...base, ...change })).not.toBe(key);
    }
  });

  it("answers a repeated first question from the cache, in JSON and as a stream, without the model", async () => {
    const first = await readJson<AnswerJson>(await ask(await newChat(t, editor.token), QUESTION));
    expect(first.cached).toBe(false);
    expect(completions()).toBe(1);
    const rows = await cacheRows();
    expect(rows).toHaveLength(1);
    expect(rows[0]?.document_ids).toEqual([documentId]);

    const again = await readJson<AnswerJson>(
      await ask(await newChat(t, editor.token), "  where are PARKING permits issued "),
    );
    expect(again).toMatchObject({ cached: true, assistant_message: { content: DEFAULT_REPLY } });
    expect(again.rag.items).toEqual(first.rag.items);
    expect(again.usage).toEqual({ tokens_in: 0, tokens_out: 0 });

    const chatId = await newChat(t, editor.token);
    const streamed = parseSse(await (await ask(chatId, QUESTION, true)).text());
    expect(eventData(streamed, "meta")[0]).toMatchObject({ cached: true });
    expect(
      eventData<{ delta: string }>(streamed, "token")
        .map((e) => e.delta)
        .join(""),
    ).toBe(DEFAULT_REPLY);
    expect(eventData(streamed, "citation")).toHaveLength(1);
    expect(eventData(streamed, "done")[0]).toMatchObject({ cached: true, finish_reason: "stop" });
    expect(completions()).toBe(1);

    // The stored message says where its answer came from.
    const stored = await t.deps.db
      .selectFrom("chat_messages")
      .select(["status", "meta", "content"])
      .where("chat_id", "=", chatId)
      .where("role", "=", "assistant")
      .executeTakeFirstOrThrow();
    expect(stored).toMatchObject({ status: "complete", content: DEFAULT_REPLY, meta: { cached: true } });

    // A follow-up in the same chat has history: the model answers it.
    const followUp = await readJson<AnswerJson>(await ask(chatId, QUESTION));
    expect(followUp.cached).toBe(false);
    expect(completions()).toBe(2);
  });

  it("does not keep answers cut off by max_tokens, nor use expired entries", async () => {
    await t.deps.db.deleteFrom("answer_cache").execute();
    model.next({ finishReason: "length" });
    await ask(await newChat(t, editor.token), "When does the office open?");
    expect(await cacheRows()).toHaveLength(0);

    await ask(await newChat(t, editor.token), "When does the office open?");
    expect(await cacheRows()).toHaveLength(1);
    await t.deps.db
      .updateTable("answer_cache")
      .set({ expires_at: new Date(Date.now() - 1000) })
      .execute();
    const res = await readJson<AnswerJson>(
      await ask(await newChat(t, editor.token), "When does the office open?"),
    );
    expect(res.cached).toBe(false);
    expect(completions()).toBe(3);
  });

  it("drops the document's entries when it is reindexed (ready again), then when it is deleted", async () => {
    await t.deps.db.deleteFrom("answer_cache").execute();
    await ask(await newChat(t, editor.token), QUESTION);
    expect(await cacheRows()).toHaveLength(1);
    // An entry of another document stays.
    await t.deps.db
      .insertInto("answer_cache")
      .values({
        key: "unrelated",
        tenant_id: editor.tenantId,
        document_ids: ["00000000-0000-4000-8000-000000000000"],
        response: { content: "x" },
        expires_at: new Date(Date.now() + 60_000),
      })
      .execute();

    const reindex = await t.call(`/api/rag/${documentId}/reindex`, { method: "POST", token: editor.token });
    expect(reindex.status).toBe(202);
    await waitForStatus(t, documentId, "ready");
    expect((await cacheRows()).map((r) => r.key)).toEqual(["unrelated"]);
    const fresh = await readJson<AnswerJson>(await ask(await newChat(t, editor.token), QUESTION));
    // Same chunks, same key: only the invalidation makes this a miss.
    expect(fresh.cached).toBe(false);
    expect(completions()).toBe(2);
    expect(await cacheRows()).toHaveLength(2);

    const removed = await t.call(`/api/rag/${documentId}`, { method: "DELETE", token: editor.token });
    expect(removed.status).toBe(202);
    await waitForGone(t, documentId, editor.token);
    expect((await cacheRows()).map((r) => r.key)).toEqual(["unrelated"]);
  });
});
