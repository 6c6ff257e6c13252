import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messagesOf, newChat } from "../chats/fixtures.ts";
import { errorCode, readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import { createTeam } from "../helpers/users.ts";

const NUL = "\u0000";

/**
 * U+0000 is valid in JSON, query strings and form fields, but Postgres text cannot hold it: wherever it
 * reaches the database the caller gets a 422, never a 500, and nothing is half-stored.
 */
describe("text holding the NUL character (U+0000)", () => {
  let t: TestApp;
  let team: Awaited<ReturnType<typeof createTeam>>;
  beforeAll(async () => {
    t = await startTestApp();
    team = await createTeam(t.deps);
  });
  afterAll(() => t.close());

  const expectRefused = async (res: Response) => {
    expect(res.status).toBe(422);
    expect(await errorCode(res)).toBe("validation_failed");
  };

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
