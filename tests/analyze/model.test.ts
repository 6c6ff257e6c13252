import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { analysisFetcher } from "../../shared/analysis/url-fetcher.ts";
import { readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import { addChatCompletions, type ChatRequestBody, type ChatStandIn } from "../helpers/chat-stand-in.ts";
import { type ModelServer, startModelServer } from "../helpers/model-server.ts";
import { createTeam, type TestUser } from "../helpers/users.ts";
import { type DocumentServer, serve, startDocumentServer } from "../net/document-server.ts";
import { testNetwork } from "../net/test-network.ts";
import { ARTICLE, ARTICLE_HTML, longDocument } from "./fixtures.ts";
import {
  accepted,
  analysisBlobs,
  download,
  getAnalysis,
  startAnalyzeWorker,
  submit,
  submitFile,
  waitForAnalysis,
  waitUntil,
} from "./helpers.ts";

type Kind = "notes" | "merge" | "final" | "repair";

let t: TestApp;
let model: ModelServer;
let chat: ChatStandIn;
let docs: DocumentServer;
let editor: TestUser;
let worker: { stop(): Promise<void> };
/** What the final call answers; the repair call answers `repairAnswer` (defaults to the same). */
let finalAnswer: string;
let repairAnswer: string | undefined;

const SUMMARY = "The board will install thirty-two solar panels on the Lyon office roof.";
const ANSWER = JSON.stringify({
  summary: SUMMARY,
  key_points: ["Thirty-two panels", "Payback in 7 to 10 years"],
});

function kindOf(body: ChatRequestBody): Kind {
  const messages = body.messages ?? [];
  const system = messages[0]?.content ?? "";
  if (system.startsWith("You read one part")) return "notes";
  if (system.startsWith("You merge notes")) return "merge";
  return messages.some((m) => m.role === "assistant") ? "repair" : "final";
}

function calls(kind?: Kind): ChatRequestBody[] {
  return model.requests
    .filter((r) => r.path === "/v1/chat/completions")
    .map((r) => r.body as ChatRequestBody)
    .filter((body) => kind === undefined || kindOf(body) === kind);
}

beforeAll(async () => {
  model = await startModelServer();
  chat = addChatCompletions(model);
  docs = await startDocumentServer();
  t = await startTestApp({
    env: {
      LLM_URL: model.url,
      LLM_MODEL: "stand-in-7b",
      LLM_MAX_RETRIES: "0",
      ANALYZE_MAX_ATTEMPTS: "1",
      RATE_LIMIT_ANALYZE: "1000/60s",
    },
  });
  worker = await startAnalyzeWorker(t, {
    fetcher: analysisFetcher(t.deps.config, {
      network: testNetwork({ "docs.test": ["127.0.0.1"] }),
      trustedAddresses: ["127.0.0.1"],
    }),
  });
  ({ editor } = await createTeam(t.deps));
});
afterAll(async () => {
  await worker.stop();
  await t.close();
  await docs.close();
  await model.close();
});
beforeEach(() => {
  model.clear();
  chat.reset();
  finalAnswer = ANSWER;
  repairAnswer = undefined;
  chat.defaults = {
    reply: (body) => {
      const kind = kindOf(body);
      if (kind === "notes") {
        const part = /Part (\d+) of (\d+)/.exec(body.messages?.[1]?.content ?? "")?.[1];
        return `- notes on part ${part}`;
      }
      if (kind === "merge") return "- merged notes";
      return kind === "repair" ? (repairAnswer ?? finalAnswer) : finalAnswer;
    },
  };
});

describe("with the stand-in model server", () => {
  it("map-reduces a long text: notes per chunk, then one combined answer", async () => {
    const text = longDocument(3);
    const id = await accepted(
      await submit(t, editor.token, {
        text,
        params: { prompt: "Which warehouse shipped most?", language: "fr", temperature: 0.2 },
      }),
    );
    const ready = await waitForAnalysis(t, editor.token, id, "ready");
    const notes = calls("notes");
    const chunks = ready.result?.document.chunks ?? 0;
    expect(chunks).toBeGreaterThan(2);
    expect(notes).toHaveLength(chunks);
    expect(calls("final")).toHaveLength(1);
    expect(calls("repair")).toHaveLength(0);
    notes.forEach((body, i) => {
      const prompt = body.messages?.[1]?.content ?? "";
      expect(prompt).toContain(`Part ${i + 1} of ${chunks}`);
      expect(prompt).toContain("Task: Which warehouse shipped most?");
      expect(prompt).toContain("Write in this language: fr.");
      expect(body.temperature).toBe(0.2);
      expect(body.model).toBe("stand-in-7b");
    });
    expect(notes[0]?.messages?.[1]?.content).toContain("Section 1 sentence 1 reports");
    const final = calls("final")[0]?.messages?.[1]?.content ?? "";
    for (let i = 1; i <= chunks; i++) expect(final).toContain(`- notes on part ${i}`);
    expect(ready.result).toMatchObject({
      method: "model",
      model: "stand-in-7b",
      summary: SUMMARY,
      key_points: ["Thirty-two panels", "Payback in 7 to 10 years"],
      data: null,
      prompt: "Which warehouse shipped most?",
      language: "fr",
      usage: { calls: chunks + 1 },
    });
    expect(ready.result?.key_terms.length).toBeGreaterThan(0);
    const report = await (await download(t, ready.artifact_url ?? "")).text();
    expect(report).toContain(SUMMARY);
    expect(report).toContain("language model `stand-in-7b`");
  });

  it("sends a one-chunk file straight to the final answer", async () => {
    const note = "The Lyon office will get thirty-two solar panels. The board approved the budget in March.";
    const id = await accepted(await submitFile(t, editor.token, { bytes: note, filename: "note.txt" }));
    const ready = await waitForAnalysis(t, editor.token, id, "ready");
    expect(ready.result?.document.chunks).toBe(1);
    expect(calls("notes")).toHaveLength(0);
    expect(calls("final")).toHaveLength(1);
    expect(calls("final")[0]?.messages?.[1]?.content).toContain(`Document:\n"""\n${note}\n"""`);
    expect(ready.source).toMatchObject({ kind: "file", name: "note.txt" });
    expect(ready.result?.summary).toBe(SUMMARY);
    expect(ready.result?.usage).toEqual({
      calls: 1,
      tokens_in: expect.any(Number),
      tokens_out: expect.any(Number),
    });
    expect((await download(t, ready.artifact_json_url ?? "")).status).toBe(200);
  });

  it("analyses a URL source with the model", async () => {
    docs.route("/solar.html", serve("text/html", ARTICLE_HTML));
    const id = await accepted(
      await submit(t, editor.token, { url: `http://docs.test:${docs.port}/solar.html` }),
    );
    const ready = await waitForAnalysis(t, editor.token, id, "ready");
    expect(ready.result).toMatchObject({ method: "model", summary: SUMMARY });
    const material = calls()
      .map((body) => body.messages?.[1]?.content ?? "")
      .join("\n");
    expect(material).toContain("Rooftop solar panels turn sunlight into electricity");
    expect((await download(t, ready.artifact_url ?? "")).status).toBe(200);
  });

  it("keeps an answer that is not JSON as text when no schema was asked for", async () => {
    finalAnswer = "The office will get solar panels.\n- thirty-two panels\n- Lyon";
    const id = await accepted(await submit(t, editor.token, { text: ARTICLE }));
    const ready = await waitForAnalysis(t, editor.token, id, "ready");
    expect(ready.result?.summary).toBe(finalAnswer);
    expect(ready.result?.key_points).toEqual(["thirty-two panels", "Lyon"]);
    expect(calls("repair")).toHaveLength(0);
  });
});

describe("output_schema", () => {
  const schema = {
    type: "object",
    required: ["panels", "city"],
    additionalProperties: false,
    properties: { panels: { type: "integer", minimum: 1 }, city: { type: "string", maxLength: 80 } },
  };

  it("returns data that satisfies the schema", async () => {
    finalAnswer = JSON.stringify({ summary: SUMMARY, key_points: ["a"], data: { panels: 32, city: "Lyon" } });
    const id = await accepted(
      await submit(t, editor.token, { text: ARTICLE, params: { output_schema: schema } }),
    );
    const ready = await waitForAnalysis(t, editor.token, id, "ready");
    expect(ready.result?.data).toEqual({ panels: 32, city: "Lyon" });
    const system = calls("final")[0]?.messages?.[0]?.content ?? "";
    const marker = "satisfies this JSON Schema:\n";
    expect(JSON.parse(system.slice(system.indexOf(marker) + marker.length))).toEqual(schema);
    const report = await (await download(t, ready.artifact_url ?? "")).text();
    expect(report).toContain("## Structured data");
    expect(report).toContain('"panels": 32');
  });

  it("repairs an answer that violates the schema by asking once more with the errors", async () => {
    finalAnswer = `\`\`\`json\n${JSON.stringify({ summary: SUMMARY, key_points: ["a"], data: { panels: "32", city: "Lyon", extra: 1 } })}\n\`\`\``;
    repairAnswer = JSON.stringify({
      summary: SUMMARY,
      key_points: ["a"],
      data: { panels: 32, city: "Lyon" },
    });
    const id = await accepted(
      await submit(t, editor.token, { text: ARTICLE, params: { output_schema: schema } }),
    );
    const ready = await waitForAnalysis(t, editor.token, id, "ready");
    expect(ready.result?.data).toEqual({ panels: 32, city: "Lyon" });
    const repair = calls("repair");
    expect(repair).toHaveLength(1);
    const feedback = repair[0]?.messages?.at(-1)?.content ?? "";
    expect(feedback).toContain("/data/panels: must be integer");
    expect(feedback).toContain("/data: must NOT have additional properties (extra)");
    expect(repair[0]?.messages?.at(-2)).toEqual({ role: "assistant", content: finalAnswer });
  });

  it("fails with the validation errors when the repaired answer still violates it", async () => {
    finalAnswer = JSON.stringify({ summary: SUMMARY, key_points: [], data: { panels: 0 } });
    repairAnswer = "Sorry, I cannot produce JSON.";
    const id = await accepted(
      await submit(t, editor.token, { text: ARTICLE, params: { output_schema: schema } }),
    );
    const failed = await waitForAnalysis(t, editor.token, id, "failed");
    expect(failed.error).toBe(
      "the model's output does not satisfy output_schema, even after one repair: the answer is not a single JSON object",
    );
    expect(calls("repair")).toHaveLength(1);

    finalAnswer = JSON.stringify({ summary: SUMMARY, key_points: [], data: { panels: 0 } });
    repairAnswer = JSON.stringify({ summary: SUMMARY, key_points: [], data: { panels: -1, city: 5 } });
    const second = await accepted(
      await submit(t, editor.token, { text: ARTICLE, params: { output_schema: schema } }),
    );
    const again = await waitForAnalysis(t, editor.token, second, "failed");
    expect(again.error).toContain("/data/panels: must be >= 1");
    expect(again.error).toContain("/data/city: must be string");
    expect(again.artifact_url).toBeNull();
  });
});

describe("a model answer Postgres could not store as it is", () => {
  it("escaping U+0000 or half a surrogate pair: the result is stored without them, not a failed analysis", async () => {
    finalAnswer = String.raw`{"summary": "Panels\u0000 on the \ud800roof.", "key_points": ["Payback\u0000"], "data": {"k\udc00": 1}}`;
    const params = { output_schema: { type: "object" } };
    const id = await accepted(await submit(t, editor.token, { text: ARTICLE, params }));
    const ready = await waitForAnalysis(t, editor.token, id, "ready");
    expect(ready.result).toMatchObject({
      summary: "Panels on the \uFFFDroof.",
      key_points: ["Payback"],
      data: { "k\uFFFD": 1 },
    });
  });
});

describe("cancel", () => {
  it("stops a running analysis between chunks", async () => {
    chat.defaults.tokenDelayMs = 0;
    chat.defaults.firstTokenDelayMs = 150;
    const id = await accepted(await submit(t, editor.token, { text: longDocument(4) }));
    const running = await waitUntil(t, editor.token, id, (a) => a.status === "running" && a.progress > 0);
    expect(running.progress).toBeLessThan(1);
    const res = await t.call(`/api/analyze/${id}/cancel`, { method: "POST", token: editor.token });
    expect(res.status).toBe(200);
    expect((await readJson<{ status: string }>(res)).status).toBe("canceled");
    // The chunk in flight may finish; after it, no more model calls and no result.
    await new Promise((resolve) => setTimeout(resolve, 400));
    const settled = calls().length;
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(calls()).toHaveLength(settled);
    expect(calls("final")).toHaveLength(0);
    const after = await getAnalysis(t, editor.token, id);
    expect(after.status).toBe("canceled");
    expect(after.progress).toBeLessThan(1);
    expect(after.result).toBeNull();
    expect(
      (await analysisBlobs(t.deps, editor.tenantId, id)).filter((b) => b.startsWith("artifacts/")),
    ).toEqual([]);

    // Retry starts over from the stored source and finishes.
    chat.defaults.firstTokenDelayMs = 0;
    expect((await t.call(`/api/analyze/${id}/retry`, { method: "POST", token: editor.token })).status).toBe(
      202,
    );
    const ready = await waitForAnalysis(t, editor.token, id, "ready");
    expect(ready.result?.summary).toBe(SUMMARY);
    expect(calls("notes").filter((b) => (b.messages?.[1]?.content ?? "").includes("Part 1 of"))).toHaveLength(
      2,
    );
  });

  it("fails after the last attempt when the model server errors", async () => {
    model.fail(1, 500);
    const id = await accepted(await submit(t, editor.token, { text: ARTICLE }));
    const failed = await waitForAnalysis(t, editor.token, id, "failed");
    expect(failed.error).toMatch(/500/);
  });
});
