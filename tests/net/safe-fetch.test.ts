import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { BlockedUrlError, UrlFetchError } from "../../shared/net/errors.ts";
import { createSafeFetcher, type SafeFetchOptions } from "../../shared/net/safe-fetch.ts";
import { type DocumentServer, redirectTo, serve, startDocumentServer } from "./document-server.ts";
import { isLoopbackLiteral, type TestNetwork, TestNetworkRefusal, testNetwork } from "./test-network.ts";

const LIMITS = { maxBytes: 64 * 1024, connectTimeoutMs: 1000, timeoutMs: 3000, maxRedirects: 3 };

let server: DocumentServer;
let network: TestNetwork;

/** "public.test" is the local server, trusted as public for these tests only. */
function fetcher(extra: Partial<SafeFetchOptions> = {}) {
  return createSafeFetcher({ ...LIMITS, network, trustedAddresses: ["127.0.0.1"], ...extra });
}

/** The guard's own refusal, with nothing connected to (the test network records every attempt). */
async function expectRefused(url: string, reason: string, message?: RegExp) {
  const error = await fetcher({ trustedAddresses: [] })
    .fetch(url)
    .then(
      () => null,
      (e: unknown) => e,
    );
  expect(error, url).toBeInstanceOf(BlockedUrlError);
  expect((error as BlockedUrlError).reason, url).toBe(reason);
  if (message) expect((error as Error).message, url).toMatch(message);
  expect(network.connects, url).toEqual([]);
}

beforeAll(async () => {
  server = await startDocumentServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  network = testNetwork({
    "public.test": ["127.0.0.1"],
    "evil.test": ["127.0.0.1"],
    "evil-v6.test": ["::1"],
    "metadata.test": ["169.254.169.254"],
    "mixed.test": ["93.184.216.34", "10.1.2.3"],
    "loopback-2.test": ["127.0.0.2"],
  });
  server.requests.length = 0;
});

describe("the test network itself", () => {
  it("refuses non-loopback addresses before opening a socket", async () => {
    await expect(network.connect("93.184.216.34", 80)).rejects.toBeInstanceOf(TestNetworkRefusal);
    await expect(network.connect("::ffff:5db8:d822", 80)).rejects.toBeInstanceOf(TestNetworkRefusal);
    expect(isLoopbackLiteral("127.9.9.9")).toBe(true);
    expect(isLoopbackLiteral("localhost")).toBe(false);
  });
});

describe("safe fetch", () => {
  it("fetches a document from an allowed host through the checked address", async () => {
    server.route("/doc", serve("text/plain; charset=utf-8", "hello from the test server"));
    const doc = await fetcher().fetch(`http://public.test:${server.port}/doc?x=1`);
    expect(doc.bytes.toString()).toBe("hello from the test server");
    expect(doc.contentType).toBe("text/plain");
    expect(doc.url).toBe(`http://public.test:${server.port}/doc?x=1`);
    expect(network.lookups).toEqual(["public.test"]);
    expect(network.connects).toEqual([{ address: "127.0.0.1", port: server.port }]);
    expect(server.requests).toEqual([`GET /doc (public.test:${server.port})`]);
  });

  it("decompresses gzip bodies", async () => {
    server.route("/gz", serve("text/markdown", gzipSync("# Title\n\ntext"), { "content-encoding": "gzip" }));
    const doc = await fetcher().fetch(`http://public.test:${server.port}/gz`);
    expect(doc.bytes.toString()).toBe("# Title\n\ntext");
  });

  it("refuses content encodings it cannot decode", async () => {
    for (const encoding of ["zstd", "constructor"]) {
      server.route(`/enc-${encoding}`, serve("text/plain", "x", { "content-encoding": encoding }));
      const error = await fetcher()
        .fetch(`http://public.test:${server.port}/enc-${encoding}`)
        .catch((e: unknown) => e);
      expect(error, encoding).toMatchObject({ failure: "encoding" });
    }
  });

  it("reports a gzip body cut off by the server", async () => {
    const body = gzipSync("a".repeat(10_000));
    server.route("/cut", (req, res) => {
      res.writeHead(200, { "content-type": "text/plain", "content-encoding": "gzip" });
      res.write(body.subarray(0, 20), () => setTimeout(() => req.socket.destroy(), 20));
    });
    const error = await fetcher()
      .fetch(`http://public.test:${server.port}/cut`)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ failure: "protocol", transient: true });
  });

  it("follows up to the redirect limit, re-checking each target", async () => {
    server.route("/r1", redirectTo("/r2", 301));
    server.route("/r2", redirectTo(`http://public.test:${server.port}/r3`, 307));
    server.route("/r3", redirectTo("/final", 308));
    server.route("/final", serve("text/html", "<html><body><p>done</p></body></html>"));
    const doc = await fetcher().fetch(`http://public.test:${server.port}/r1`);
    expect(doc.redirects).toHaveLength(3);
    expect(doc.url).toBe(`http://public.test:${server.port}/final`);
    expect(network.connects).toHaveLength(4);
  });

  it("refuses a fourth redirect", async () => {
    for (const [from, to] of [
      ["/a", "/b"],
      ["/b", "/c"],
      ["/c", "/d"],
      ["/d", "/e"],
    ]) {
      server.route(from, redirectTo(to));
    }
    server.route("/e", serve("text/plain", "too far"));
    const error = await fetcher()
      .fetch(`http://public.test:${server.port}/a`)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UrlFetchError);
    expect((error as UrlFetchError).failure).toBe("too_many_redirects");
    expect(server.requests.map((r) => r.split(" ")[1])).toEqual(["/a", "/b", "/c", "/d"]);
  });
});

describe("SSRF guard", () => {
  it.each([
    ["http://127.0.0.1/", /127\.0\.0\.1 is a loopback address/],
    ["http://10.0.0.1/", /private network address/],
    ["http://192.168.0.10/", /private network address/],
    ["http://172.16.5.4/", /private network address/],
    ["http://169.254.169.254/latest/meta-data", /cloud metadata address/],
    ["http://100.100.100.200/latest/meta-data", /cloud metadata address/],
    ["http://[::1]/", /loopback/],
    ["http://[::ffff:127.0.0.1]/", /loopback address \(IPv4 127\.0\.0\.1 inside IPv6\)/],
    ["http://[::ffff:a9fe:a9fe]/", /cloud metadata address \(IPv4 169\.254\.169\.254/],
    ["http://[64:ff9b::a9fe:a9fe]/", /cloud metadata/],
    ["http://[2002:a9fe:a9fe::]/", /cloud metadata/],
    ["http://[fd00:ec2::254]/", /cloud metadata/],
    ["http://[fc00::1]/", /unique-local/],
    ["http://[fe80::1]/", /link-local/],
    ["http://2130706433/", /127\.0\.0\.1 is a loopback/],
    ["http://0x7f000001/", /127\.0\.0\.1 is a loopback/],
    ["http://0x7f.0.0.1/", /127\.0\.0\.1 is a loopback/],
    ["http://0177.0.0.1/", /127\.0\.0\.1 is a loopback/],
    ["http://127.1/", /127\.0\.0\.1 is a loopback/],
    ["http://0/", /0\.0\.0\.0 is an unspecified/],
  ])("refuses %s", async (url, message) => {
    await expectRefused(url, "address", message);
  });

  it.each(["http://localhost/", "http://localhost./", "http://api.localhost:8080/"])(
    "refuses the localhost name %s without resolving it",
    async (url) => {
      await expectRefused(url, "hostname", /localhost/);
      expect(network.lookups).toEqual([]);
    },
  );

  it.each([
    ["file:///etc/passwd", /only http and https URLs are fetched \(got file:\)/],
    ["gopher://127.0.0.1:70/_GET", /got gopher:/],
    ["ftp://public.test/file.txt", /got ftp:/],
    ["data:text/plain,hello", /got data:/],
    ["javascript:alert(1)", /got javascript:/],
  ])("refuses the scheme of %s", async (url, message) => {
    await expectRefused(url, "scheme", message);
  });

  it("refuses URLs with credentials and things that are not URLs", async () => {
    await expectRefused("http://user:secret@public.test/", "credentials");
    await expectRefused("not a url", "invalid_url");
    await expectRefused("/relative/path", "invalid_url");
  });

  it.each([
    ["evil.test", /evil\.test resolves to 127\.0\.0\.1, which is a loopback address/],
    ["evil-v6.test", /evil-v6\.test resolves to ::1, which is a loopback address/],
    ["metadata.test", /cloud metadata address/],
    ["mixed.test", /mixed\.test resolves to 10\.1\.2\.3, which is a private network address/],
  ])("refuses %s by what it resolves to, before connecting anywhere", async (host, message) => {
    await expectRefused(`http://${host}:${server.port}/doc`, "address", message);
    expect(network.lookups).toEqual([host]);
  });

  it.each([
    ["http://10.0.0.1/admin", /10\.0\.0\.1 is a private network address/],
    ["http://169.254.169.254/latest/meta-data/iam", /cloud metadata/],
    ["http://127.0.0.2:{port}/doc", /127\.0\.0\.2 is a loopback address/],
    ["http://loopback-2.test:{port}/doc", /resolves to 127\.0\.0\.2/],
    ["http://localhost:{port}/doc", /localhost names this machine/],
    ["http://[::ffff:7f00:2]:{port}/doc", /loopback/],
    ["file:///etc/passwd", /got file:/],
  ])("refuses a public-looking URL that redirects to %s", async (target, message) => {
    const location = target.replace("{port}", String(server.port));
    server.route("/jump", redirectTo(location));
    server.route("/doc", serve("text/plain", "internal secret"));
    const error = await fetcher()
      .fetch(`http://public.test:${server.port}/jump`)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BlockedUrlError);
    expect((error as Error).message).toMatch(message);
    // Only the first hop was connected to; the redirect target never was.
    expect(network.connects).toEqual([{ address: "127.0.0.1", port: server.port }]);
    expect(server.requests).toEqual([`GET /jump (public.test:${server.port})`]);
  });
});

describe("limits", () => {
  it("refuses a body over the size cap, declared or streamed", async () => {
    const big = "x".repeat(LIMITS.maxBytes + 1);
    server.route("/declared", serve("text/plain", big));
    server.route("/chunked", (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      for (let i = 0; i < 80; i++) res.write("y".repeat(1024));
      res.end();
    });
    server.route(
      "/bomb",
      serve("text/plain", gzipSync(Buffer.alloc(1024 * 1024)), { "content-encoding": "gzip" }),
    );
    for (const path of ["/declared", "/chunked", "/bomb"]) {
      const error = await fetcher()
        .fetch(`http://public.test:${server.port}${path}`)
        .catch((e: unknown) => e);
      expect(error, path).toBeInstanceOf(UrlFetchError);
      expect((error as UrlFetchError).failure, path).toBe("too_large");
      expect((error as UrlFetchError).status, path).toBe(413);
    }
  });

  it("refuses content types that are not documents, and undeclared ones", async () => {
    server.route("/png", serve("image/png", Buffer.from([0x89, 0x50, 0x4e, 0x47])));
    server.route("/none", (_req, res) => {
      res.writeHead(200);
      res.end("?");
    });
    for (const [path, message] of [
      ["/png", /serves image\/png/],
      ["/none", /serves an undeclared type/],
    ] as const) {
      const error = await fetcher()
        .fetch(`http://public.test:${server.port}${path}`)
        .catch((e: unknown) => e);
      expect(error, path).toBeInstanceOf(UrlFetchError);
      expect((error as UrlFetchError).failure).toBe("content_type");
      expect((error as Error).message).toMatch(message);
    }
  });

  it("reports error statuses, 5xx as transient", async () => {
    server.route("/gone", (_req, res) => {
      res.writeHead(404);
      res.end();
    });
    server.route("/down", (_req, res) => {
      res.writeHead(503);
      res.end();
    });
    const gone = await fetcher()
      .fetch(`http://public.test:${server.port}/gone`)
      .catch((e: unknown) => e);
    const down = await fetcher()
      .fetch(`http://public.test:${server.port}/down`)
      .catch((e: unknown) => e);
    expect(gone).toMatchObject({ failure: "status", transient: false, message: "the server answered 404" });
    expect(down).toMatchObject({ failure: "status", transient: true });
  });

  it("gives up connecting after the connect timeout", async () => {
    const stalled: TestNetwork = { ...network, connect: () => new Promise(() => {}) };
    const started = Date.now();
    const error = await fetcher({ network: stalled, connectTimeoutMs: 150 })
      .fetch(`http://public.test:${server.port}/doc`)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ failure: "timeout", transient: true });
    expect((error as Error).message).toMatch(/could not connect to public\.test within 150 ms/);
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it("gives up on a server that never finishes within the total timeout", async () => {
    server.route("/slow", (_req, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("partial");
    });
    const started = Date.now();
    const error = await fetcher({ timeoutMs: 300 })
      .fetch(`http://public.test:${server.port}/slow`)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ failure: "timeout" });
    expect((error as Error).message).toMatch(/within 300 ms/);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("stops when the caller aborts", async () => {
    server.route("/hang", () => {});
    const controller = new AbortController();
    const pending = fetcher().fetch(`http://public.test:${server.port}/hang`, controller.signal);
    setTimeout(() => controller.abort(new Error("job canceled")), 100);
    await expect(pending).rejects.toThrow("job canceled");
  });

  it("reports a name that does not resolve", async () => {
    const error = await fetcher()
      .fetch("http://unknown.test/")
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ failure: "dns", transient: false });
    expect((error as Error).message).toBe("could not resolve unknown.test (ENOTFOUND)");
    expect(network.connects).toEqual([]);
  });
});
