import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import {
  addChatCompletions,
  type ChatRequestBody,
  type ChatStandIn,
  DEFAULT_REPLY,
} from "../helpers/chat-stand-in.ts";
import { type ModelServer, startModelServer } from "../helpers/model-server.ts";
import { createTeam, type TestUser } from "../helpers/users.ts";
import { seedDocument } from "./fixtures.ts";

interface Citation {
  number: number;
  document_id: string;
  document_name: string;
}

describe("OpenAI-compatible API, called with the official openai client", () => {
  let server: ModelServer;
  let model: ChatStandIn;
  let t: TestApp;
  let reader: TestUser;
  let client: OpenAI;
  let documentId: string;

  beforeAll(async () => {
    server = await startModelServer();
    model = addChatCompletions(server);
    t = await startTestApp({ env: { LLM_URL: server.url, LLM_MODEL: "stand-in-model" } });
    const team = await createTeam(t.deps);
    reader = team.reader;
    documentId = (
      await seedDocument(t.deps, team.tenant.id, "handbook.md", [
        "The office opens at nine in the morning.",
        "Parking permits come from the facilities team.",
      ])
    ).id;
    // Another tenant's document with the same words must never be retrieved.
    const other = await createTeam(t.deps);
    await seedDocument(t.deps, other.tenant.id, "secret.md", [
      "The office opens at seven for the other tenant.",
    ]);
    const created = await t.call("/api/auth/tokens", {
      method: "POST",
      token: reader.token,
      json: { name: "openai client", scopes: ["read"] },
    });
    expect(created.status).toBe(201);
    const { token } = await readJson<{ token: string }>(created);
    client = new OpenAI({ apiKey: token, baseURL: `${t.url}/v1`, maxRetries: 0 });
  });
  afterAll(async () => {
    await t.close();
    await server.close();
  });
  beforeEach(() => {
    server.clear();
    model.reset();
  });

  it("lists the one model Quarry answers with", async () => {
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toEqual(["stand-in-model"]);
  });

  it("answers a completion with retrieval over the caller's tenant and citations in an extra field", async () => {
    const completion = await client.chat.completions.create({
      model: "whatever",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "When does the office open?" },
      ],
    });
    expect(completion.object).toBe("chat.completion");
    expect(completion.model).toBe("stand-in-model");
    expect(completion.choices[0]?.message.content).toBe(DEFAULT_REPLY);
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(completion.usage).toEqual({ prompt_tokens: 123, completion_tokens: 9, total_tokens: 132 });
    const citations = (completion as unknown as { citations: Citation[] }).citations;
    expect(citations).toEqual([
      expect.objectContaining({ number: 1, document_id: documentId, document_name: "handbook.md" }),
    ]);

    const sent = server.requests[0]?.body as ChatRequestBody;
    const system = sent.messages?.[0]?.content ?? "";
    expect(system).toContain("Be brief.");
    expect(system).toContain("[1] handbook.md");
    expect(system).not.toContain("seven");
  });

  it("streams chunks the client assembles, the last one carrying citations, and usage when asked", async () => {
    const stream = await client.chat.completions.create({
      model: "stand-in-model",
      messages: [
        { role: "user", content: "Hello" },
        { role: "assistant", content: "Hi, ask me about the handbook." },
        { role: "user", content: [{ type: "text", text: "When does the office open?" }] },
      ],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let finish: string | null = null;
    let citations: Citation[] = [];
    let usage: unknown = null;
    let chunks = 0;
    for await (const chunk of stream) {
      chunks++;
      text += chunk.choices[0]?.delta.content ?? "";
      finish = chunk.choices[0]?.finish_reason ?? finish;
      const extra = chunk as unknown as { citations?: Citation[] };
      if (extra.citations) citations = extra.citations;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(chunks).toBeGreaterThan(5);
    expect(text).toBe(DEFAULT_REPLY);
    expect(finish).toBe("stop");
    expect(citations.map((c) => c.document_id)).toEqual([documentId]);
    expect(usage).toEqual({ prompt_tokens: 123, completion_tokens: 9, total_tokens: 132 });
    const sent = (server.requests[0]?.body as ChatRequestBody | undefined)?.messages ?? [];
    expect(sent.slice(1)).toEqual([
      { role: "user", content: "Hello" },
      { role: "assistant", content: "Hi, ask me about the handbook." },
      { role: "user", content: "When does the office open?" },
    ]);
  });

  it("surfaces a model failure mid-stream as an APIError in the client", async () => {
    model.next({ failAfter: { tokens: 2, how: "error-event" } });
    const stream = await client.chat.completions.create({
      model: "stand-in-model",
      messages: [{ role: "user", content: "When does the office open?" }],
      stream: true,
    });
    let text = "";
    const consume = async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    };
    await expect(consume()).rejects.toBeInstanceOf(OpenAI.APIError);
    expect(text).toBe("The handbook");
  });

  it("maps Quarry's errors to the client's error classes (401, 422, 503)", async () => {
    const anonymous = new OpenAI({ apiKey: "qpat_not-a-real-token", baseURL: `${t.url}/v1`, maxRetries: 0 });
    await expect(anonymous.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(
      client.chat.completions.create({
        model: "m",
        messages: [{ role: "assistant", content: "no question" }],
      }),
    ).rejects.toBeInstanceOf(OpenAI.UnprocessableEntityError);
    server.fail(3, 500);
    const failure = client.chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "office?" }],
    });
    await expect(failure).rejects.toMatchObject({ status: 503 });
  });

  it("answers without retrieval when quarry.use_rag is false", async () => {
    await client.chat.completions.create({
      model: "m",
      messages: [{ role: "user", content: "When does the office open?" }],
      // @ts-expect-error Quarry's extension field
      quarry: { use_rag: false },
    });
    const sent = server.requests[0]?.body as ChatRequestBody;
    expect(sent.messages?.[0]?.content).not.toContain("Sources:");
  });
});
