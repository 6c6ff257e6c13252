import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analysisFetcher } from "../../shared/analysis/url-fetcher.ts";
import { readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import { createTeam, type TestUser } from "../helpers/users.ts";
import { type DocumentServer, serve, startDocumentServer } from "../net/document-server.ts";
import { type TestNetwork, testNetwork } from "../net/test-network.ts";
import { ARTICLE, ARTICLE_HTML } from "./fixtures.ts";
import {
  type AnalysisJson,
  accepted,
  analysisBlobs,
  analysisJobs,
  download,
  type ErrorJson,
  startAnalyzeWorker,
  submit,
  submitFile,
  waitForAnalysis,
} from "./helpers.ts";

const LIMIT = 64 * 1024;

let t: TestApp;
let server: DocumentServer;
let network: TestNetwork;
let editor: TestUser;
let worker: { stop(): Promise<void> } | undefined;

async function startWorker() {
  worker = await startAnalyzeWorker(t, {
    fetcher: analysisFetcher(t.deps.config, { network, trustedAddresses: ["127.0.0.1"] }),
  });
}

beforeAll(async () => {
  t = await startTestApp({
    env: {
      ANALYZE_MAX_SOURCE_BYTES: String(LIMIT),
      ANALYZE_MAX_ATTEMPTS: "1",
      RATE_LIMIT_ANALYZE: "1000/60s",
    },
  });
  server = await startDocumentServer();
  network = testNetwork({ "docs.test": ["127.0.0.1"] });
  ({ editor } = await createTeam(t.deps));
  await startWorker();
});
afterAll(async () => {
  await worker?.stop();
  await server.close();
  await t.close();
});

/** Each summary and key point is a sentence of the source, not something made up. */
function expectQuotedFrom(result: AnalysisJson["result"], source: string) {
  const flat = source.replace(/\s+/g, " ");
  expect(result?.summary.length).toBeGreaterThan(50);
  for (const sentence of result?.summary.split(/(?<=\.) /) ?? []) expect(flat).toContain(sentence);
  expect(result?.key_points.length).toBeGreaterThan(0);
  for (const point of result?.key_points ?? []) expect(flat).toContain(point);
}

async function expectArtifacts(ready: AnalysisJson) {
  expect(ready.artifact_url).toMatch(/\/api\/rag\/blobs\//);
  const report = await download(t, ready.artifact_url ?? "");
  expect(report.status).toBe(200);
  expect(report.headers.get("content-disposition")).toContain(`analysis-${ready.id}.md`);
  const markdown = await report.text();
  expect(markdown).toMatch(/^# Analysis: /);
  expect(markdown).toContain("## Summary");
  expect(markdown).toContain(ready.result?.summary);
  for (const point of ready.result?.key_points ?? []) expect(markdown).toContain(`- ${point}`);
  const json = await download(t, ready.artifact_json_url ?? "");
  expect(json.status).toBe(200);
  const artifact = (await json.json()) as { id: string; result: unknown };
  expect(artifact.id).toBe(ready.id);
  expect(artifact.result).toEqual(ready.result);
}

describe("sources through to ready (extractive default)", () => {
  it("analyses a text: summary, key points and key terms picked from it, and a report", async () => {
    const res = await submit(t, editor.token, { text: ARTICLE, name: "solar.md" });
    expect(res.status).toBe(202);
    const body = await readJson<{ id: string; status: string; accepted: boolean }>(res);
    expect(body).toEqual({ id: expect.any(String), status: "queued", accepted: true });

    const ready = await waitForAnalysis(t, editor.token, body.id, "ready");
    expect(ready.progress).toBe(1);
    expect(ready.error).toBeNull();
    expect(ready.source).toEqual({ kind: "text", name: "solar.md", size_bytes: Buffer.byteLength(ARTICLE) });
    expect(ready.result).toMatchObject({
      method: "extractive",
      model: "extractive",
      data: null,
      usage: null,
      document: { mime: "text/markdown", title: "Rooftop solar panels for small offices" },
    });
    expect(ready.result?.summary.split(/(?<=\.) /)).toHaveLength(3);
    expectQuotedFrom(ready.result, ARTICLE);
    expect(ready.result?.key_terms[0]).toEqual({ term: "solar panels", count: 7, score: 1 });
    await expectArtifacts(ready);
  });

  it("analyses an uploaded file, named after it", async () => {
    const id = await accepted(
      await submitFile(
        t,
        editor.token,
        { bytes: ARTICLE, filename: "C:\\docs\\solar-notes.md" },
        {
          params: JSON.stringify({ language: "en", prompt: "What did the board decide?" }),
        },
      ),
    );
    const ready = await waitForAnalysis(t, editor.token, id, "ready");
    expect(ready.source).toMatchObject({
      kind: "file",
      name: "solar-notes.md",
      size_bytes: Buffer.byteLength(ARTICLE),
    });
    expect(ready.params).toEqual({ language: "en", prompt: "What did the board decide?" });
    expect(ready.result).toMatchObject({
      method: "extractive",
      prompt: "What did the board decide?",
      language: "en",
    });
    expectQuotedFrom(ready.result, ARTICLE);
    await expectArtifacts(ready);
    expect(await (await download(t, ready.artifact_url ?? "")).text()).toContain(
      "| Task | What did the board decide? |",
    );
  });

  it("analyses a URL served by a local server, through the guarded fetcher", async () => {
    server.route("/articles/solar.html", serve("text/html; charset=utf-8", ARTICLE_HTML));
    const url = `http://docs.test:${server.port}/articles/solar.html`;
    const id = await accepted(await submit(t, editor.token, { url }));
    const ready = await waitForAnalysis(t, editor.token, id, "ready");
    expect(ready.source).toEqual({
      kind: "url",
      name: "solar.html",
      url,
      size_bytes: Buffer.byteLength(ARTICLE_HTML),
    });
    expect(ready.result?.document.mime).toBe("text/html");
    expectQuotedFrom(ready.result, ARTICLE);
    expect(server.requests).toContain(`GET /articles/solar.html (docs.test:${server.port})`);
    expect(network.connects.every((c) => c.address === "127.0.0.1")).toBe(true);
    await expectArtifacts(ready);
    const markdown = await (await download(t, ready.artifact_url ?? "")).text();
    expect(markdown).toContain(`<${url}>`);
  });
});

describe("submission", () => {
  it("is safe to retry with an Idempotency-Key", async () => {
    const headers = { "Idempotency-Key": `analyze-${Date.now()}` };
    const first = await submit(t, editor.token, { text: ARTICLE }, headers);
    const second = await submit(t, editor.token, { text: ARTICLE }, headers);
    expect(second.status).toBe(202);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    const [a, b] = [await readJson<{ id: string }>(first), await readJson<{ id: string }>(second)];
    expect(b.id).toBe(a.id);
    const rows = await t.deps.db
      .selectFrom("analysis_jobs")
      .select("id")
      .where("tenant_id", "=", editor.tenantId)
      .where("id", "=", a.id)
      .execute();
    expect(rows).toHaveLength(1);
    const mismatch = await submit(t, editor.token, { text: "something else entirely" }, headers);
    expect(mismatch.status).toBe(422);
  });

  it("refuses a body that is neither url nor text, or both, or bad params", async () => {
    for (const body of [
      {},
      { url: "https://example.com/a", text: "both" },
      { text: "x", params: { temperature: 5 } },
      { text: "x", params: { unknown: true } },
      { text: "x", extra: 1 },
    ]) {
      const res = await submit(t, editor.token, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect((await readJson<ErrorJson>(res)).error.code).toBe("validation_failed");
    }
    const noFile = await t.call("/api/analyze", {
      method: "POST",
      token: editor.token,
      body: (() => {
        const form = new FormData();
        form.append("name", "x");
        return form;
      })(),
    });
    expect(noFile.status).toBe(422);
    const badParams = await submitFile(
      t,
      editor.token,
      { bytes: ARTICLE, filename: "a.md" },
      { params: "{not json" },
    );
    expect(badParams.status).toBe(422);
    expect((await readJson<ErrorJson>(badParams)).error.details).toEqual({ field: "params" });
    const unknownField = await submitFile(
      t,
      editor.token,
      { bytes: ARTICLE, filename: "a.md" },
      { parameters: "{}" },
    );
    expect(unknownField.status).toBe(422);
    expect((await readJson<ErrorJson>(unknownField)).error.details).toEqual({
      field: "parameters",
      accepted: ["file", "name", "params"],
    });
  });

  it("refuses an output_schema without a model, and schemas that do not compile or are unsafe", async () => {
    const cases: [unknown, RegExp][] = [
      [{ type: "object", properties: { title: { type: "string" } } }, /needs a language model/],
      [{ type: "object", properties: { n: { type: "integr" } } }, /output_schema: /],
      [{ type: "object", propertees: {} }, /unknown keyword/],
      [{ type: "object", properties: { code: { type: "string", pattern: "^(a+)+$" } } }, /unsafe/],
      [{ type: "array" }, /top level/],
    ];
    for (const [schema, message] of cases) {
      const res = await submit(t, editor.token, { text: ARTICLE, params: { output_schema: schema } });
      expect(res.status, JSON.stringify(schema)).toBe(422);
      expect((await readJson<ErrorJson>(res)).error.message).toMatch(message);
    }
  });
});

describe("limits and empty documents", () => {
  it("refuses a file over ANALYZE_MAX_SOURCE_BYTES with 413 and keeps nothing", async () => {
    const before = await t.deps.db.selectFrom("analysis_jobs").select("id").execute();
    const res = await submitFile(t, editor.token, { bytes: "a ".repeat(LIMIT), filename: "big.txt" });
    expect(res.status).toBe(413);
    expect((await readJson<ErrorJson>(res)).error.details).toEqual({ limit_bytes: LIMIT });
    const after = await t.deps.db.selectFrom("analysis_jobs").select("id").execute();
    expect(after).toHaveLength(before.length);
    const text = await submit(t, editor.token, { text: "word ".repeat(LIMIT / 4) });
    expect(text.status).toBe(413);
  });

  it("fails a URL whose document is over the limit, with the fetcher's error", async () => {
    server.route("/big.txt", serve("text/plain", "z".repeat(LIMIT + 10)));
    const id = await accepted(
      await submit(t, editor.token, { url: `http://docs.test:${server.port}/big.txt` }),
    );
    const failed = await waitForAnalysis(t, editor.token, id, "failed");
    expect(failed.error).toBe(`the document is larger than ${LIMIT} bytes`);
    expect(failed.result).toBeNull();
    expect(failed.artifact_url).toBeNull();
  });

  it("refuses an empty file or blank text at once, and fails a document with no text in it", async () => {
    const empty = await submitFile(t, editor.token, { bytes: "", filename: "empty.txt" });
    expect(empty.status).toBe(422);
    expect((await readJson<ErrorJson>(empty)).error.message).toMatch(/empty/);
    const blank = await submit(t, editor.token, { text: "   \n\t " });
    expect(blank.status).toBe(422);

    const html =
      "<!doctype html><html><head><title></title><script>var a = 1;</script></head><body>  </body></html>";
    const page = await accepted(await submitFile(t, editor.token, { bytes: html, filename: "blank.html" }));
    expect((await waitForAnalysis(t, editor.token, page, "failed")).error).toBe(
      "This web page contains no text.",
    );
    const blankFile = await accepted(
      await submitFile(t, editor.token, { bytes: " \n\n \f", filename: "blank.txt" }),
    );
    expect((await waitForAnalysis(t, editor.token, blankFile, "failed")).error).toMatch(/only blank space/);
    // Zero-width spaces: text to the sniffer, nothing once normalised.
    const spaces = await accepted(
      await submitFile(t, editor.token, { bytes: "\u200b\u200b\u200b", filename: "zw.txt" }),
    );
    const failed = await waitForAnalysis(t, editor.token, spaces, "failed");
    expect(failed.error).toBe("the document contains no text to analyze");
    expect(failed.progress).toBe(0);
  });

  it("fails a file Quarry cannot read with the extractor's message", async () => {
    const png = Buffer.from(
      "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082",
      "hex",
    );
    const id = await accepted(await submitFile(t, editor.token, { bytes: png, filename: "pic.png" }));
    const failed = await waitForAnalysis(t, editor.token, id, "failed");
    expect(failed.error).toMatch(/looks like a PNG image/);
  });
});

describe("lifecycle", () => {
  it("lists the tenant's analyses newest first, by status, page by page", async () => {
    const other = await createTeam(t.deps);
    const ids: string[] = [];
    for (const text of ["First note about apples and pears.", "Second note about trains and buses."]) {
      ids.push(await accepted(await submit(t, other.editor.token, { text })));
    }
    for (const id of ids) await waitForAnalysis(t, other.editor.token, id, "ready");
    const page1 = await readJson<{ items: AnalysisJson[]; next_cursor: string | null }>(
      await t.call("/api/analyze?limit=1", { token: other.editor.token }),
    );
    expect(page1.items.map((i) => i.id)).toEqual([ids[1]]);
    expect(page1.items[0]).not.toHaveProperty("result");
    const page2 = await readJson<{ items: AnalysisJson[]; next_cursor: string | null }>(
      await t.call(`/api/analyze?limit=1&cursor=${page1.next_cursor}`, { token: other.editor.token }),
    );
    expect(page2.items.map((i) => i.id)).toEqual([ids[0]]);
    expect(page2.next_cursor).toBeNull();
    const failedOnly = await readJson<{ items: AnalysisJson[] }>(
      await t.call("/api/analyze?status=failed", { token: other.editor.token }),
    );
    expect(failedOnly.items).toEqual([]);
    expect((await t.call("/api/analyze?cursor=forged", { token: other.editor.token })).status).toBe(400);
  });

  it("cancels a queued analysis, then retries it to ready", async () => {
    await worker?.stop();
    worker = undefined;
    const id = await accepted(await submit(t, editor.token, { text: ARTICLE }));
    expect(await analysisJobs(t.deps, id)).toHaveLength(1);
    const canceled = await t.call(`/api/analyze/${id}/cancel`, { method: "POST", token: editor.token });
    expect(canceled.status).toBe(200);
    expect((await readJson<AnalysisJson>(canceled)).status).toBe("canceled");
    expect(await analysisJobs(t.deps, id)).toEqual([]);
    const again = await t.call(`/api/analyze/${id}/cancel`, { method: "POST", token: editor.token });
    expect(again.status).toBe(409);
    expect((await readJson<ErrorJson>(again)).error.details).toEqual({ status: "canceled" });

    const retried = await t.call(`/api/analyze/${id}/retry`, { method: "POST", token: editor.token });
    expect(retried.status).toBe(202);
    expect((await readJson<AnalysisJson>(retried)).status).toBe("queued");
    await startWorker();
    const ready = await waitForAnalysis(t, editor.token, id, "ready");
    expect(ready.result?.method).toBe("extractive");
    const notFailed = await t.call(`/api/analyze/${id}/retry`, { method: "POST", token: editor.token });
    expect(notFailed.status).toBe(409);
  });

  it("retries a failed URL analysis from the start once the source is fixed", async () => {
    let up = false;
    server.route("/flaky.md", (req, res) => {
      if (up) return serve("text/markdown", ARTICLE)(req, res);
      res.writeHead(404);
      res.end();
    });
    const id = await accepted(
      await submit(t, editor.token, { url: `http://docs.test:${server.port}/flaky.md` }),
    );
    const failed = await waitForAnalysis(t, editor.token, id, "failed");
    expect(failed.error).toBe("the server answered 404");
    up = true;
    expect((await t.call(`/api/analyze/${id}/retry`, { method: "POST", token: editor.token })).status).toBe(
      202,
    );
    const ready = await waitForAnalysis(t, editor.token, id, "ready");
    expect(ready.error).toBeNull();
    expect(ready.source.size_bytes).toBe(Buffer.byteLength(ARTICLE));
    expectQuotedFrom(ready.result, ARTICLE);
  });

  it("retries from the stored source: a fetched URL is not fetched again", async () => {
    server.route("/once.md", serve("text/markdown", ARTICLE));
    const id = await accepted(
      await submit(t, editor.token, { url: `http://docs.test:${server.port}/once.md` }),
    );
    await waitForAnalysis(t, editor.token, id, "ready");
    // Fail it by hand (as a crash on the last attempt would), then retry: the stored copy is used.
    await t.deps.db
      .updateTable("analysis_jobs")
      .set({ status: "failed", error: "boom" })
      .where("id", "=", id)
      .execute();
    server.route("/once.md", serve("text/markdown", "# Changed\n\nThis text must not be read by the retry."));
    const fetchesBefore = server.requests.filter((r) => r.includes("/once.md")).length;
    expect((await t.call(`/api/analyze/${id}/retry`, { method: "POST", token: editor.token })).status).toBe(
      202,
    );
    const ready = await waitForAnalysis(t, editor.token, id, "ready");
    expect(server.requests.filter((r) => r.includes("/once.md"))).toHaveLength(fetchesBefore);
    expectQuotedFrom(ready.result, ARTICLE);
  });

  it("deletes an analysis with its source and artifact blobs", async () => {
    const id = await accepted(await submitFile(t, editor.token, { bytes: ARTICLE, filename: "a.md" }));
    const ready = await waitForAnalysis(t, editor.token, id, "ready");
    const blobs = await analysisBlobs(t.deps, editor.tenantId, id);
    expect(blobs).toEqual([
      "analysis/source.blob",
      expect.stringMatching(/^artifacts\/report-\d+\.md\.blob$/),
      expect.stringMatching(/^artifacts\/result-\d+\.json\.blob$/),
    ]);
    const res = await t.call(`/api/analyze/${id}`, { method: "DELETE", token: editor.token });
    expect(res.status).toBe(204);
    expect(await analysisBlobs(t.deps, editor.tenantId, id)).toEqual([]);
    expect((await t.call(`/api/analyze/${id}`, { token: editor.token })).status).toBe(404);
    expect((await download(t, ready.artifact_url ?? "")).status).toBe(404);
    expect((await t.call(`/api/analyze/${id}`, { method: "DELETE", token: editor.token })).status).toBe(404);
  });

  it("answers 404 for a malformed or unknown id", async () => {
    for (const path of ["/api/analyze/not-a-uuid", `/api/analyze/${crypto.randomUUID()}`]) {
      const res = await t.call(path, { token: editor.token });
      expect(res.status).toBe(404);
      expect((await readJson<ErrorJson>(res)).error.message).toBe("analysis not found");
    }
  });
});
