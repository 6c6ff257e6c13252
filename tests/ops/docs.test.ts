import { createHash } from "node:crypto";
import { runInNewContext } from "node:vm";
import { parseHTML } from "linkedom";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readJson, startTestApp, type TestApp } from "../helpers/app.ts";

interface OpenApi {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, { security?: unknown[]; parameters?: { name: string }[] }>>;
  components: { securitySchemes: Record<string, unknown> };
}

function inline(html: string, tag: "script" | "style"): string {
  const match = html.match(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`));
  if (!match?.[1]) throw new Error(`no inline ${tag}`);
  return match[1];
}

const sha256 = (text: string) => `'sha256-${createHash("sha256").update(text).digest("base64")}'`;

describe("API docs", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { BUILD_VERSION: "1.2.3" } });
  });
  afterAll(() => t.close());

  it("serves the OpenAPI 3.1 document with the ops routes", async () => {
    const res = await t.call("/api/docs/openapi.json");
    expect(res.status).toBe(200);
    const doc = await readJson<OpenApi>(res);
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.version).toBe("1.2.3");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(["/api/version", "/api/docs", "/api/admin/audit", "/api/admin/tenants"]),
    );
    expect(doc.paths["/api/admin/tenants"]?.post?.security).toEqual([{ bearer: [] }]);
    const auditParams = doc.paths["/api/admin/audit"]?.get?.parameters?.map((p) => p.name);
    expect(auditParams).toEqual(
      expect.arrayContaining(["action", "actor_id", "since", "until", "cursor", "limit"]),
    );
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
  });

  it("serves a self-contained HTML page under a strict CSP that allows exactly its inline code", async () => {
    const res = await t.call("/api/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html.match(/https?:\/\/[^\s"'<>]*/g) ?? []).toEqual([]);
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/);

    const csp = res.headers.get("content-security-policy") ?? "";
    const directives = Object.fromEntries(
      csp.split(";").map((d) => {
        const [name = "", ...values] = d.trim().split(/\s+/);
        return [name, values];
      }),
    );
    expect(directives["default-src"]).toEqual(["'none'"]);
    expect(directives["script-src"]).toEqual([sha256(inline(html, "script"))]);
    expect(directives["style-src"]).toEqual([sha256(inline(html, "style"))]);
    expect(directives["connect-src"]).toEqual(["'self'"]);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:|\*/);
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
  });

  it("renders every operation of the document with its parameters and body fields", async () => {
    const html = await (await t.call("/api/docs")).text();
    const { document } = parseHTML(html);
    const fetched: string[] = [];
    const fetchFromServer = (path: string) => {
      fetched.push(path);
      return t.call(path);
    };
    runInNewContext(inline(html, "script"), { document, fetch: fetchFromServer });
    await expect.poll(() => document.querySelectorAll("details.op").length).toBeGreaterThan(0);

    expect(fetched).toEqual(["/api/docs/openapi.json"]);
    const doc = await readJson<OpenApi>(await t.call("/api/docs/openapi.json"));
    const operations = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
    expect(document.querySelectorAll("details.op").length).toBe(operations);
    const tags = [...document.querySelectorAll("details.tag > summary")].map((s) => s.textContent);
    expect(tags).toEqual(expect.arrayContaining([expect.stringMatching(/^admin \(\d+\)$/)]));

    const tenants = [...document.querySelectorAll("details.op")].find((op) =>
      op.querySelector("summary")?.textContent?.includes("/api/admin/tenants"),
    );
    const text = tenants?.textContent ?? "";
    expect(text).toContain("POST");
    expect(text).toContain("Request body (required)");
    expect(text).toMatch(/slug\s*string.*required/);
    expect(text).toContain("full_name");
    expect(text).toContain("409");
    expect(text).toContain("Authentication: bearer token");
    const audit = [...document.querySelectorAll("details.op")].find((op) =>
      op.querySelector("summary")?.textContent?.includes("/api/admin/audit"),
    );
    expect(audit?.querySelector("table")?.textContent).toContain("cursor");
  });
});
