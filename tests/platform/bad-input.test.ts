import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messagesOf, newChat } from "../chats/fixtures.ts";
import { readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import { createTeam } from "../helpers/users.ts";

const NUL = "\u0000";

interface Refusal {
  error: { code: string; details: { issues: { path: string; message: string }[] } };
}

/** A 422 `validation_failed`; returns its body. `label` names the case in a failure. */
async function expectRefused(res: Response, label?: string): Promise<Refusal> {
  expect(res.status, label).toBe(422);
  const body = await readJson<Refusal>(res);
  expect(body.error.code, label).toBe("validation_failed");
  return body;
}

/** A 422 `validation_failed` whose one issue names the field at `path`. */
async function expectRefusedAt(res: Response, path: string) {
  const body = await expectRefused(res);
  expect(body.error.details.issues.map((issue) => issue.path)).toEqual([path]);
}

/** Input every route is refused in the same way: a 422 saying why, never a 500, nothing half-stored. */
describe("input refused on every route", () => {
  let t: TestApp;
  let team: Awaited<ReturnType<typeof createTeam>>;
  beforeAll(async () => {
    t = await startTestApp();
    team = await createTeam(t.deps);
  });
  afterAll(() => t.close());

  /** U+0000 is valid in JSON, query strings and form fields, but Postgres text cannot hold it. */
  describe("text holding the NUL character (U+0000)", () => {
    it("in a JSON field: 422, and the chat is not created", async () => {
      const token = team.reader.token;
      await expectRefused(await t.call("/api/chats", { method: "POST", token, json: { name: `a${NUL}b` } }));
      const list = await readJson<{ items: unknown[] }>(await t.call("/api/chats", { token }));
      expect(list.items).toEqual([]);
    });

    it("in a question: 422, and neither the question nor an answer is stored", async () => {
      const token = team.reader.token;
      const chatId = await newChat(t, token, "nul");
      const res = await t.call(`/api/chats/${chatId}/messages`, {
        method: "POST",
        token,
        json: { content: `when${NUL}?`, use_rag: false },
      });
      await expectRefused(res);
      expect(await messagesOf(t, token, chatId)).toEqual([]);
    });

    it("in text an analysis would read later: 422 naming the field, not an analysis failed as binary", async () => {
      const res = await t.call("/api/analyze", {
        method: "POST",
        token: team.editor.token,
        json: { text: `Panels on the roof.${NUL} The board agreed.` },
      });
      await expectRefusedAt(res, "text");
    });

    it("in a query string filter: 422", async () => {
      await expectRefused(await t.call(`/api/chats?q=a%00b`, { token: team.reader.token }));
    });

    it("in a user's name given by an admin: 422, and no user is created", async () => {
      const login = `nul-${Date.now()}`;
      const res = await t.call("/api/auth/users", {
        method: "POST",
        token: team.admin.token,
        json: { login, full_name: `Ann${NUL}`, password: "a-long-enough-password", role: "reader" },
      });
      await expectRefused(res);
      const users = await readJson<{ items: { login: string }[] }>(
        await t.call("/api/auth/users?limit=100", { token: team.admin.token }),
      );
      expect(users.items.map((user) => user.login)).not.toContain(login);
    });
  });

  /**
   * JSON may escape half a surrogate pair (`"\uD800"`); the string it makes is not text. In `jsonb` (the
   * audit log) Postgres refused it with a 500; in `text` it stored U+FFFD instead, silently.
   */
  describe("half a surrogate pair escaped in JSON", () => {
    const LONE = "\ud800";

    it("in a user's login given by an admin: 422 naming the field, and no user is created", async () => {
      const res = await t.call("/api/auth/users", {
        method: "POST",
        token: team.admin.token,
        json: { login: `ann${LONE}`, full_name: "Ann", password: "a-long-enough-password", role: "reader" },
      });
      await expectRefusedAt(res, "login");
      const users = await readJson<{ items: { full_name: string }[] }>(
        await t.call("/api/auth/users?limit=100", { token: team.admin.token }),
      );
      expect(users.items.map((user) => user.full_name)).not.toContain("Ann");
    });

    it("in a chat's name: 422, not a name silently changed", async () => {
      const token = team.editor.token;
      await expectRefusedAt(
        await t.call("/api/chats", { method: "POST", token, json: { name: `a${LONE}b` } }),
        "name",
      );
      const list = await readJson<{ items: unknown[] }>(await t.call("/api/chats", { token }));
      expect(list.items).toEqual([]);
    });

    it("deep in a body, or in a key: the issue gives the path", async () => {
      const res = await t.call("/v1/chat/completions", {
        method: "POST",
        token: team.reader.token,
        json: { model: "any", messages: [{ role: "user", content: `hi ${LONE}` }] },
      });
      await expectRefusedAt(res, "messages.0.content");
      const keyed = await t.call("/v1/chat/completions", {
        method: "POST",
        token: team.reader.token,
        json: { model: "any", messages: [{ role: "user", content: "hi" }], [`x${LONE}`]: 1 },
      });
      await expectRefusedAt(keyed, `x${LONE}`);
    });

    it("a whole pair, escaped, is a character like any other", async () => {
      const res = await t.call("/api/chats", {
        method: "POST",
        token: team.editor.token,
        headers: { "content-type": "application/json" },
        body: String.raw`{"name": "\ud83d\ude00 plans"}`,
      });
      expect(res.status).toBe(201);
      expect((await readJson<{ name: string }>(res)).name).toBe("😀 plans");
    });
  });

  /**
   * Quarry's own request bodies refuse fields they do not define, so a misspelt one (`size` for
   * `size_bytes`) is a 422 naming it instead of being silently ignored. The OpenAI-compatible route
   * accepts what OpenAI clients send.
   */
  describe("unknown fields in request bodies", () => {
    const cases = () => [
      { path: "/api/rag/upload-url", json: { name: "a.txt", size: 10 }, unknown: "size" },
      { path: "/api/rag/search", json: { query: "office", topk: 3 }, unknown: "topk" },
      { path: "/api/rag/search", json: { query: "office", mmr: { lamda: 0.5 } }, unknown: "lamda" },
      {
        path: "/api/auth/users",
        json: { login: "ann", full_name: "Ann", password: "long-enough-pw", role: "reader", email: "a@b" },
        unknown: "email",
      },
      { path: "/api/auth/tokens", json: { name: "ci", scopes: ["read"], expires: 30 }, unknown: "expires" },
      {
        path: "/api/auth/login",
        json: { login: "nobody", password: "x", remember: true },
        unknown: "remember",
      },
    ];

    it("are refused with 422 naming the field, on every route of Quarry's own API", async () => {
      for (const { path, json, unknown } of cases()) {
        const body = await expectRefused(
          await t.call(path, { method: "POST", token: team.admin.token, json }),
          path,
        );
        expect(JSON.stringify(body.error.details.issues), path).toContain(unknown);
      }
    });

    it("are accepted by the OpenAI-compatible chat completions route", async () => {
      const res = await t.call("/v1/chat/completions", {
        method: "POST",
        token: team.reader.token,
        json: {
          model: "any",
          messages: [{ role: "user", content: "hello" }],
          user: "client-side-id",
          frequency_penalty: 0,
        },
      });
      expect(res.status).toBe(200);
    });
  });
});
