import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createConcurrencyLimiter } from "../../shared/backpressure.ts";
import { citedSources } from "../../shared/chat/citations.ts";
import { assemblePrompt, promptTokens, promptVersion } from "../../shared/chat/prompt.ts";
import { ApiError } from "../../shared/errors.ts";
import { LanguageModelError } from "../../shared/llm/errors.ts";
import { createOpenAiChatModel, type OpenAiChatModelOptions } from "../../shared/llm/openai-chat-model.ts";
import type { CompletionEvent, LanguageModel } from "../../shared/llm/port.ts";
import { sseData } from "../../shared/llm/sse-reader.ts";
import { createLogger } from "../../shared/logger.ts";
import { countTokens } from "../../shared/text/tokens.ts";
import { addChatCompletions, type ChatStandIn, DEFAULT_REPLY } from "../helpers/chat-stand-in.ts";
import { type ModelServer, startModelServer } from "../helpers/model-server.ts";

async function collect(llm: LanguageModel, signal?: AbortSignal): Promise<CompletionEvent[]> {
  const events: CompletionEvent[] = [];
  for await (const event of llm.stream({ messages: [{ role: "user", content: "q" }], signal }))
    events.push(event);
  return events;
}

const text = (events: CompletionEvent[]) => events.map((e) => (e.type === "delta" ? e.text : "")).join("");

describe("OpenAI-compatible chat model adapter", () => {
  let server: ModelServer;
  let model: ChatStandIn;
  beforeAll(async () => {
    server = await startModelServer();
    model = addChatCompletions(server);
  });
  afterAll(() => server.close());
  beforeEach(() => {
    server.clear();
    model.reset();
  });

  function adapter(overrides: Partial<OpenAiChatModelOptions> = {}) {
    const concurrency = overrides.concurrency ?? 4;
    const queueLimit = overrides.queueLimit ?? 8;
    return createOpenAiChatModel({
      baseUrl: server.url,
      apiKey: "sk-test",
      model: "stand-in-model",
      timeoutMs: 5000,
      firstTokenTimeoutMs: 2000,
      maxRetries: 2,
      concurrency,
      queueLimit,
      limiter: createConcurrencyLimiter({ concurrency, queueLimit, name: "llm" }),
      log: createLogger("silent"),
      retryBaseMs: 5,
      retryMaxMs: 20,
      ...overrides,
    });
  }

  it("streams deltas then done with the server's usage, sending the key and stream options", async () => {
    const events = await collect(adapter());
    expect(text(events)).toBe(DEFAULT_REPLY);
    expect(events.at(-1)).toEqual({
      type: "done",
      finishReason: "stop",
      usage: { tokensIn: 123, tokensOut: 9 },
    });
    expect(server.requests[0]?.headers.authorization).toBe("Bearer sk-test");
    expect(server.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it("retries a first token that is too slow, and 5xx answers, before the first token", async () => {
    model.next({ firstTokenDelayMs: 1000 });
    server.fail(1, 502);
    const events = await collect(adapter({ firstTokenTimeoutMs: 150 }));
    expect(text(events)).toBe(DEFAULT_REPLY);
    expect(server.requests).toHaveLength(3);
    await model.waitForAborted(1);
  });

  it("does not retry client errors, nor anything after the first token", async () => {
    server.fail(1, 400, { body: { error: { message: "bad model name" } } });
    const refused = collect(adapter());
    await expect(refused).rejects.toBeInstanceOf(LanguageModelError);
    await expect(refused).rejects.toMatchObject({
      reason: "client_error",
      attempts: 1,
      afterFirstToken: false,
    });
    await expect(refused).rejects.toThrow(/bad model name/);

    server.clear();
    model.next({ failAfter: { tokens: 1, how: "reset" } });
    await expect(collect(adapter())).rejects.toMatchObject({
      reason: "network",
      afterFirstToken: true,
      attempts: 1,
    });
    expect(server.requests).toHaveLength(1);
  });

  it("aborts the upstream request when the caller's signal fires", async () => {
    model.next({ tokenDelayMs: 100 });
    const controller = new AbortController();
    const seen: string[] = [];
    const run = async () => {
      for await (const event of adapter().stream({
        messages: [{ role: "user", content: "q" }],
        signal: controller.signal,
      })) {
        if (event.type === "delta") seen.push(event.text);
        if (seen.length === 2) controller.abort(new Error("client left"));
      }
    };
    await expect(run()).rejects.toThrow("client left");
    await model.waitForAborted(1);
    expect(server.requests).toHaveLength(1);
  });

  it("bounds concurrency, refuses at once from stream() when the queue is full, and frees unused slots", async () => {
    model.defaults = { firstTokenDelayMs: 150 };
    const llm = adapter({ concurrency: 2, queueLimit: 1 });
    const running = [collect(llm), collect(llm), collect(llm)];
    expect(() => llm.stream({ messages: [{ role: "user", content: "q" }] })).toThrow(ApiError);
    try {
      llm.stream({ messages: [{ role: "user", content: "q" }] });
    } catch (error) {
      expect(error).toMatchObject({ code: "overloaded", status: 503, headers: { "Retry-After": "1" } });
    }
    await Promise.all(running);
    expect(server.maxInFlight).toBe(2);

    // Slots taken by stream() are freed by return() even if nothing was iterated.
    const tight = adapter({ concurrency: 1, queueLimit: 0 });
    const iterator = tight.stream({ messages: [{ role: "user", content: "q" }] })[Symbol.asyncIterator]();
    expect(() => tight.stream({ messages: [{ role: "user", content: "q" }] })).toThrow(ApiError);
    await iterator.return?.();
    expect(text(await collect(tight))).toBe(DEFAULT_REPLY);
  });
});

describe("SSE reader", () => {
  function body(parts: string[]): ReadableStream<Uint8Array> {
    const encoder = new TextEncoder();
    return new ReadableStream({
      start(controller) {
        for (const part of parts) controller.enqueue(encoder.encode(part));
        controller.close();
      },
    });
  }

  it("joins data lines, skips comments and other fields, and survives CRLF split across chunks", async () => {
    const out: string[] = [];
    for await (const data of sseData(
      body([
        ': ping\r\n\r\ndata: {"a"',
        ":1}\r",
        "\n\r\nevent: x\nid: 3\ndata: one\ndata: two\n\n",
        "data: [DONE]",
      ]),
    )) {
      out.push(data);
    }
    expect(out).toEqual(['{"a":1}', "one\ntwo", "[DONE]"]);
  });
});

describe("prompt assembly and citations", () => {
  const sources = [
    { number: 1, title: "handbook.md", page: 3, text: "The office opens at nine." },
    { number: 2, title: "notes.txt", page: null, text: "Parking is free." },
  ];

  it("puts the system prompt and numbered sources first, trimmed history, the question last", () => {
    const history = Array.from({ length: 6 }, (_, i) => ({
      role: i % 2 === 0 ? ("user" as const) : ("assistant" as const),
      content: `message number ${i} with some words in it`,
    }));
    const perMessage = countTokens(history[0]?.content ?? "") + 4;
    const prompt = assemblePrompt({
      systemPrompt: "SYSTEM",
      clientSystem: "Be brief.",
      sources,
      history,
      question: "When?",
      historyTokenBudget: perMessage * 2 + 1,
    });
    expect(prompt.messages[0]?.role).toBe("system");
    expect(prompt.messages[0]?.content).toBe(
      "SYSTEM\n\nBe brief.\n\nSources:\n\n[1] handbook.md, page 3\nThe office opens at nine.\n\n[2] notes.txt\nParking is free.",
    );
    expect(prompt.messages.slice(1, -1)).toEqual(history.slice(-2));
    expect(prompt.historyKept).toBe(2);
    expect(prompt.messages.at(-1)).toEqual({ role: "user", content: "When?" });
    const expected = prompt.messages.reduce((sum, m) => sum + countTokens(m.content) + 4, 3);
    expect(promptTokens(prompt.messages)).toBe(expected);
  });

  it("trims history by the token counts stored with it, counting only messages that have none", () => {
    const history = [
      { role: "user" as const, content: "oldest, counted by the tokenizer" },
      { role: "assistant" as const, content: "stored as huge", tokens: 1000 },
      { role: "user" as const, content: "stored as small", tokens: 5 },
      { role: "assistant" as const, content: "newest, counted by the tokenizer", tokens: null },
    ];
    const newest = countTokens("newest, counted by the tokenizer") + 4;
    const prompt = assemblePrompt({
      systemPrompt: "S",
      sources: null,
      history,
      question: "q",
      historyTokenBudget: newest + 5 + 4 + 999,
    });
    // The stored 1000 does not fit what is left (999 + framing), so it and everything older is dropped.
    expect(prompt.historyKept).toBe(2);
    // Counts stay out of what is sent to the model.
    expect(prompt.messages.slice(1, -1)).toEqual([
      { role: "user", content: "stored as small" },
      { role: "assistant", content: "newest, counted by the tokenizer" },
    ]);
    const roomy = assemblePrompt({
      systemPrompt: "S",
      sources: null,
      history,
      question: "q",
      historyTokenBudget: newest + 9 + 1004 + countTokens("oldest, counted by the tokenizer") + 4,
    });
    expect(roomy.historyKept).toBe(4);
  });

  it("says when no source matched, and versions the system prompt", () => {
    const prompt = assemblePrompt({
      systemPrompt: "S",
      sources: [],
      history: [],
      question: "q",
      historyTokenBudget: 100,
    });
    expect(prompt.messages[0]?.content).toContain("none of the user's documents matched");
    expect(promptVersion("a")).not.toBe(promptVersion("b"));
  });

  it("cites the sources an answer marks with [n], or all of them when it marks none", () => {
    const citations = [1, 2, 3].map((number) => ({
      number,
      document_id: `d${number}`,
      document_name: "x",
      chunk_id: `c${number}`,
      chunk_idx: 0,
      page: null,
      score: 1,
      snippet: "",
    }));
    expect(citedSources("A [3] and B [1, 3].", citations).map((c) => c.number)).toEqual([1, 3]);
    expect(citedSources("No markers, or a bogus [9].", citations).map((c) => c.number)).toEqual([1, 2, 3]);
  });
});
