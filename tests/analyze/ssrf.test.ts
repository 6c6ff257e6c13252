import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { analysisFetcher } from "../../shared/analysis/url-fetcher.ts";
import { readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import { createTeam, type TestUser } from "../helpers/users.ts";
import { type DocumentServer, redirectTo, serve, startDocumentServer } from "../net/document-server.ts";
import { isLoopbackLiteral, type TestNetwork, testNetwork } from "../net/test-network.ts";
import {
  accepted,
  analysisBlobs,
  type ErrorJson,
  startAnalyzeWorker,
  submit,
  waitForAnalysis,
} from "./helpers.ts";

/**
 * The "public" server listens on 127.0.0.5, which the guard is told to treat as public for this file
 * only; "internal" services listen on 127.0.0.1, which stays refused. Names resolve only through the test
 * resolver, and the test network refuses anything outside loopback before a socket exists.
 */
const PUBLIC = "127.0.0.5";

let t: TestApp;
let publicServer: DocumentServer;
let internal: DocumentServer;
let network: TestNetwork;
let editor: TestUser;
let worker: { stop(): Promise<void> };

beforeAll(async () => {
  t = await startTestApp({ env: { ANALYZE_MAX_ATTEMPTS: "1", RATE_LIMIT_ANALYZE: "1000/60s" } });
  publicServer = await startDocumentServer(PUBLIC);
  internal = await startDocumentServer("127.0.0.1");
  internal.route("/secret", serve("text/plain", "internal admin secret: do not leak"));
  network = testNetwork({
    "public.test": [PUBLIC],
    "internal.test": ["127.0.0.1"],
    "metadata.test": ["169.254.169.254"],
    "split.test": [PUBLIC, "10.20.30.40"],
  });
  worker = await startAnalyzeWorker(t, {
    fetcher: analysisFetcher(t.deps.config, { network, trustedAddresses: [PUBLIC] }),
  });
  ({ editor } = await createTeam(t.deps));
});
afterAll(async () => {
  await worker.stop();
  await publicServer.close();
  await internal.close();
  await t.close();
});

describe("URLs refused at submission (422, nothing queued)", () => {
  it.each([
    ["http://127.0.0.1/", "address", /127\.0\.0\.1 is a loopback address/],
    ["http://localhost/", "hostname", /localhost names this machine/],
    ["http://LOCALHOST.:8080/admin", "hostname", /localhost/],
    ["http://10.0.0.1/", "address", /10\.0\.0\.1 is a private network address/],
    ["http://169.254.169.254/latest/meta-data", "address", /cloud metadata address/],
    ["http://[::1]/", "address", /::1 is a loopback address/],
    ["http://[::ffff:127.0.0.1]/", "address", /IPv4 127\.0\.0\.1 inside IPv6/],
    [
      "http://[::ffff:a9fe:a9fe]/latest/meta-data",
      "address",
      /cloud metadata address \(IPv4 169\.254\.169\.254/,
    ],
    ["http://2130706433/", "address", /127\.0\.0\.1 is a loopback/],
    ["http://0x7f000001/", "address", /127\.0\.0\.1 is a loopback/],
    ["http://0x7f.0.0.1/", "address", /127\.0\.0\.1 is a loopback/],
    ["http://0177.0.0.1/", "address", /127\.0\.0\.1 is a loopback/],
    ["http://127.1/", "address", /127\.0\.0\.1 is a loopback/],
    ["http://0.0.0.0:8080/", "address", /unspecified/],
    ["file:///etc/passwd", "scheme", /only http and https URLs are fetched \(got file:\)/],
    ["gopher://127.0.0.1:70/_stats", "scheme", /got gopher:/],
    ["http://admin:pw@public.test/", "credentials", /user name or password/],
    ["not a url", "invalid_url", /not a valid absolute URL/],
  ])("%s", async (url, reason, message) => {
    const before = await t.deps.db.selectFrom("analysis_jobs").select("id").execute();
    const res = await submit(t, editor.token, { url });
    expect(res.status).toBe(422);
    const body = await readJson<ErrorJson>(res);
    expect(body.error.code).toBe("validation_failed");
    expect(body.error.message).toMatch(/^URL refused: /);
    expect(body.error.message).toMatch(message);
    expect(body.error.details.reason).toBe(reason);
    expect(await t.deps.db.selectFrom("analysis_jobs").select("id").execute()).toHaveLength(before.length);
    expect(network.lookups).toEqual([]);
  });
});

describe("URLs refused by the job (resolution and redirects)", () => {
  async function failedWith(url: string, message: RegExp) {
    const connectsBefore = network.connects.length;
    const id = await accepted(await submit(t, editor.token, { url }));
    const failed = await waitForAnalysis(t, editor.token, id, "failed");
    expect(failed.error).toMatch(/^URL refused: /);
    expect(failed.error).toMatch(message);
    expect(failed.result).toBeNull();
    expect(await analysisBlobs(t.deps, editor.tenantId, id)).toEqual([]);
    return network.connects.slice(connectsBefore);
  }

  it("refuses a hostname that resolves to 127.0.0.1, before connecting", async () => {
    const connects = await failedWith(
      `http://internal.test:${internal.port}/secret`,
      /internal\.test resolves to 127\.0\.0\.1, which is a loopback address/,
    );
    expect(connects).toEqual([]);
    expect(internal.requests).toEqual([]);
  });

  it("refuses a hostname that resolves to the metadata address", async () => {
    const connects = await failedWith("http://metadata.test/latest/meta-data", /cloud metadata address/);
    expect(connects).toEqual([]);
  });

  it("refuses a name with any non-public address among its answers", async () => {
    const connects = await failedWith(
      `http://split.test:${publicServer.port}/doc`,
      /10\.20\.30\.40, which is a private/,
    );
    expect(connects).toEqual([]);
  });

  it.each([
    [
      "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
      /169\.254\.169\.254 is a cloud metadata address/,
    ],
    ["http://10.0.0.1/admin", /10\.0\.0\.1 is a private network address/],
    ["http://127.0.0.1:{internal}/secret", /127\.0\.0\.1 is a loopback address/],
    ["http://internal.test:{internal}/secret", /resolves to 127\.0\.0\.1/],
    ["http://[::ffff:7f00:1]:{internal}/secret", /loopback address \(IPv4 127\.0\.0\.1 inside IPv6\)/],
    ["file:///etc/passwd", /got file:/],
  ])("refuses a public-looking URL that redirects to %s", async (target, message) => {
    const location = target.replace("{internal}", String(internal.port));
    const path = `/jump-${Math.random().toString(36).slice(2)}`;
    publicServer.route(path, redirectTo(location));
    const connects = await failedWith(`http://public.test:${publicServer.port}${path}`, message);
    expect(connects).toEqual([{ address: PUBLIC, port: publicServer.port }]);
    expect(internal.requests).toEqual([]);
  });

  it("fails after more than 3 redirects", async () => {
    for (let i = 0; i < 4; i++) publicServer.route(`/hop${i}`, redirectTo(`/hop${i + 1}`));
    publicServer.route("/hop4", serve("text/plain", "too far"));
    const id = await accepted(
      await submit(t, editor.token, { url: `http://public.test:${publicServer.port}/hop0` }),
    );
    const failed = await waitForAnalysis(t, editor.token, id, "failed");
    expect(failed.error).toBe("more than 3 redirects");
    expect(publicServer.requests.filter((r) => r.includes("/hop4"))).toEqual([]);
  });

  it("still fetches the public server itself (the guard is not refusing everything)", async () => {
    publicServer.route(
      "/ok.txt",
      serve(
        "text/plain",
        "Public documents are fine to fetch for analysis. They answer quickly and completely.",
      ),
    );
    const id = await accepted(
      await submit(t, editor.token, { url: `http://public.test:${publicServer.port}/ok.txt` }),
    );
    await waitForAnalysis(t, editor.token, id, "ready");
  });

  it("never connected anywhere outside loopback, nor to the internal service", () => {
    expect(network.connects.length).toBeGreaterThan(0);
    expect(network.connects.every((c) => isLoopbackLiteral(c.address))).toBe(true);
    expect(network.connects.every((c) => c.address === PUBLIC)).toBe(true);
    expect(internal.requests).toEqual([]);
  });
});
