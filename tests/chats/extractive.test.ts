import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createExtractiveResponder, extractiveAnswer } from "../../shared/llm/extractive-responder.ts";
import { readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import { createTeam, type TestUser } from "../helpers/users.ts";
import { eventData, newChat, parseSse, seedDocument } from "./fixtures.ts";

describe("extractive responder (no model configured)", () => {
  let t: TestApp;
  let reader: TestUser;
  let documentId: string;

  beforeAll(async () => {
    t = await startTestApp();
    const team = await createTeam(t.deps);
    reader = team.reader;
    documentId = (
      await seedDocument(t.deps, team.tenant.id, "travel-policy.md", [
        "Employees book travel through the portal. Economy class is the default for flights under six hours. Receipts must be kept.",
        "Hotel stays are reimbursed up to the city rate. Travel expenses are filed within thirty days.",
      ])
    ).id;
  });
  afterAll(() => t.close());

  const ask = (chatId: string, json: Record<string, unknown>) =>
    t.call(`/api/chats/${chatId}/messages`, { method: "POST", token: reader.token, json });

  it("is what /api/version and /v1/models report", async () => {
    const version = await readJson<{ adapters: Record<string, string> }>(await t.call("/api/version"));
    expect(version.adapters.llm).toBe("extractive (no language model configured)");
    const models = await readJson<{ data: { id: string }[] }>(
      await t.call("/v1/models", { token: reader.token }),
    );
    expect(models.data.map((m) => m.id)).toEqual(["extractive"]);
  });

  it("answers with the best sentences of the passages, cited, and says no model is configured", async () => {
    const chatId = await newChat(t, reader.token);
    const res = await ask(chatId, { content: "Which class for flights?", rag_params: { mode: "lexical" } });
    expect(res.status).toBe(200);
    const answer = await readJson<{
      assistant_message: { content: string; model: string };
      usage: { tokens_in: number; tokens_out: number };
      rag: { items: { number: number; document_id: string }[] };
    }>(res);
    const content = answer.assistant_message.content;
    expect(content).toMatch(/^No language model is configured/);
    expect(content).toContain("> Economy class is the default for flights under six hours.");
    expect(content).toContain("[1]");
    expect(content).not.toContain("Hotel stays");
    expect(answer.assistant_message.model).toBe("extractive");
    expect(answer.rag.items).toEqual([expect.objectContaining({ number: 1, document_id: documentId })]);
    expect(answer.usage.tokens_in).toBeGreaterThan(20);
    expect(answer.usage.tokens_out).toBeGreaterThan(10);
  });

  it("streams its answer word by word like a model", async () => {
    const chatId = await newChat(t, reader.token);
    const res = await ask(chatId, { content: "travel expenses", response_stream: true });
    const stream = parseSse(await res.text());
    const tokens = eventData<{ delta: string }>(stream, "token");
    expect(tokens.length).toBeGreaterThan(15);
    expect(tokens.map((e) => e.delta).join("")).toMatch(/^No language model is configured/);
    expect(stream.events.at(-1)?.event).toBe("done");
    expect(eventData(stream, "citation").length).toBeGreaterThan(0);
  });

  it("says so plainly when nothing matches, and when retrieval is off", async () => {
    const chatId = await newChat(t, reader.token);
    const none = await readJson<{ assistant_message: { content: string }; rag: { items: unknown[] } }>(
      await ask(chatId, { content: "zebra xylophone" }),
    );
    expect(none.assistant_message.content).toContain("no passage in your documents matches");
    expect(none.rag.items).toEqual([]);
    const off = await readJson<{ assistant_message: { content: string } }>(
      await ask(chatId, { content: "hello", use_rag: false }),
    );
    expect(off.assistant_message.content).toContain("use_rag");
  });

  it("stops when its caller aborts", async () => {
    const controller = new AbortController();
    const responder = createExtractiveResponder();
    const sources = [{ number: 1, title: "a", text: "One sentence here. Another one there." }];
    const seen: string[] = [];
    const run = async () => {
      for await (const event of responder.stream({
        messages: [{ role: "user", content: "sentence" }],
        sources,
        signal: controller.signal,
      })) {
        if (event.type === "delta") seen.push(event.text);
        if (seen.length === 3) controller.abort(new Error("gone"));
      }
    };
    await expect(run()).rejects.toThrow("gone");
    expect(seen).toHaveLength(3);
    expect(extractiveAnswer({ messages: [{ role: "user", content: "sentence" }], sources })).toContain("[1]");
  });

  it("quotes sentences, not the Markdown headings above them", () => {
    const answer = (text: string) =>
      extractiveAnswer({
        messages: [{ role: "user", content: "When does the office open?" }],
        sources: [{ number: 1, text, title: "handbook.md" }],
      });
    const quoted = answer(
      "# Handbook\n\nThe office opens at nine.\n## Leave\nTwenty five days of paid leave.",
    );
    expect(quoted).toContain("> The office opens at nine. [1]");
    expect(quoted).not.toContain("#");
    expect(quoted).not.toContain("Handbook");
    // A passage of headings only is quoted without their markers.
    expect(answer("## Office opening hours")).toContain("> Office opening hours [1]");
  });
});
