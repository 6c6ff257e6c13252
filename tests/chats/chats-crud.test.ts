import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appendMessage } from "../../shared/chat/messages.ts";
import { errorCode, readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import { authMatrix, type MatrixBase } from "../helpers/auth-matrix.ts";
import { createTeam, createUser } from "../helpers/users.ts";
import { messagesOf, newChat } from "./fixtures.ts";

interface ChatJson {
  id: string;
  name: string;
  last_message_at: string | null;
}

describe("chats: CRUD, privacy, pagination", () => {
  let t: TestApp;
  let team: Awaited<ReturnType<typeof createTeam>>;
  beforeAll(async () => {
    t = await startTestApp();
    team = await createTeam(t.deps);
  });
  afterAll(() => t.close());

  it("creates a chat with the default name, or the given one, and lists it", async () => {
    const user = await createUser(t.deps, team.tenant.id, "reader");
    const plain = await t.call("/api/chats", { method: "POST", token: user.token });
    expect(plain.status).toBe(201);
    const created = await readJson<{ chat_id: string; name: string }>(plain);
    expect(created.name).toBe("New chat");
    const named = await newChat(t, user.token, "Quarterly numbers");

    const list = await readJson<{ items: ChatJson[]; next_cursor: string | null }>(
      await t.call("/api/chats", { token: user.token }),
    );
    expect(list.items.map((c) => c.id)).toEqual([named, created.chat_id]);
    expect(list.next_cursor).toBeNull();
  });

  it("filters by a case-insensitive part of the name (wildcards taken literally)", async () => {
    const user = await createUser(t.deps, team.tenant.id, "reader");
    const budget = await newChat(t, user.token, "Budget 2026");
    await newChat(t, user.token, "Holidays");
    const percent = await newChat(t, user.token, "100% done");
    const found = await readJson<{ items: ChatJson[] }>(
      await t.call("/api/chats?q=BUDGET", { token: user.token }),
    );
    expect(found.items.map((c) => c.id)).toEqual([budget]);
    const literal = await readJson<{ items: ChatJson[] }>(
      await t.call("/api/chats?q=%25", { token: user.token }),
    );
    expect(literal.items.map((c) => c.id)).toEqual([percent]);
  });

  it("pages through chats with a keyset cursor, newest first, without repeats or gaps", async () => {
    const user = await createUser(t.deps, team.tenant.id, "reader");
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(await newChat(t, user.token, `chat ${i}`));
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `?limit=3&cursor=${encodeURIComponent(cursor)}` : "?limit=3";
      const page = await readJson<{ items: ChatJson[]; next_cursor: string | null }>(
        await t.call(`/api/chats${query}`, { token: user.token }),
      );
      seen.push(...page.items.map((c) => c.id));
      cursor = page.next_cursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  it("answers 400 to a cursor it did not issue", async () => {
    const res = await t.call("/api/chats?cursor=not-a-cursor", { token: team.reader.token });
    expect(res.status).toBe(400);
    expect(await errorCode(res)).toBe("bad_request");
  });

  it("renames and deletes a chat (messages go with it)", async () => {
    const chatId = await newChat(t, team.reader.token, "old name");
    const renamed = await t.call(`/api/chats/${chatId}`, {
      method: "PATCH",
      token: team.reader.token,
      json: { name: "  new name  " },
    });
    expect(renamed.status).toBe(200);
    expect((await readJson<ChatJson>(renamed)).name).toBe("new name");
    const scope = { tenantId: team.tenant.id, userId: team.reader.id, role: "reader" as const };
    await appendMessage(t.deps.db, scope, chatId, { role: "user", content: "hello" });

    const deleted = await t.call(`/api/chats/${chatId}`, { method: "DELETE", token: team.reader.token });
    expect(deleted.status).toBe(204);
    const again = await t.call(`/api/chats/${chatId}`, { method: "DELETE", token: team.reader.token });
    expect(again.status).toBe(404);
    const left = await t.deps.db
      .selectFrom("chat_messages")
      .select("id")
      .where("chat_id", "=", chatId)
      .execute();
    expect(left).toEqual([]);
  });

  it("refuses an empty name and unknown fields with 422", async () => {
    const chatId = await newChat(t, team.reader.token);
    for (const json of [{ name: "   " }, { name: "x", color: "red" }, {}]) {
      const res = await t.call(`/api/chats/${chatId}`, { method: "PATCH", token: team.reader.token, json });
      expect(res.status).toBe(422);
      expect(await errorCode(res)).toBe("validation_failed");
    }
  });

  it("keeps chats private: another user of the tenant, even an admin, gets 404 everywhere", async () => {
    const chatId = await newChat(t, team.reader.token, "private");
    for (const other of [team.editor, team.admin]) {
      const calls = [
        t.call(`/api/chats/${chatId}/messages`, { token: other.token }),
        t.call(`/api/chats/${chatId}`, { method: "PATCH", token: other.token, json: { name: "mine now" } }),
        t.call(`/api/chats/${chatId}/messages`, {
          method: "POST",
          token: other.token,
          json: { content: "hi" },
        }),
        t.call(`/api/chats/${chatId}`, { method: "DELETE", token: other.token }),
      ];
      for (const res of await Promise.all(calls)) {
        expect(res.status).toBe(404);
        expect(await errorCode(res)).toBe("not_found");
      }
      const list = await readJson<{ items: ChatJson[] }>(await t.call("/api/chats", { token: other.token }));
      expect(list.items.map((c) => c.id)).not.toContain(chatId);
    }
    const mine = await t.call(`/api/chats/${chatId}/messages`, { token: team.reader.token });
    expect(mine.status).toBe(200);
  });

  it("answers 404 to a malformed chat id", async () => {
    const res = await t.call("/api/chats/not-a-uuid/messages", { token: team.reader.token });
    expect(res.status).toBe(404);
  });

  it("pages through messages oldest → newest with a keyset cursor", async () => {
    const chatId = await newChat(t, team.reader.token);
    const scope = { tenantId: team.tenant.id, userId: team.reader.id, role: "reader" as const };
    const written: string[] = [];
    for (let i = 0; i < 9; i++) {
      const row = await appendMessage(t.deps.db, scope, chatId, {
        role: i % 2 === 0 ? "user" : "assistant",
        content: `message ${i}`,
      });
      written.push(row.id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=4&cursor=${encodeURIComponent(cursor)}` : "?limit=4";
      const page = await readJson<{ items: { id: string; content: string }[]; next_cursor: string | null }>(
        await t.call(`/api/chats/${chatId}/messages${query}`, { token: team.reader.token }),
      );
      expect(page.items.length).toBeLessThanOrEqual(4);
      seen.push(...page.items.map((m) => m.id));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(written);
    const all = await messagesOf(t, team.reader.token, chatId);
    expect(all.map((m) => m.content)).toEqual(written.map((_, i) => `message ${i}`));
    const chat = await readJson<ChatJson>(
      await t.call(`/api/chats/${chatId}`, {
        method: "PATCH",
        token: team.reader.token,
        json: { name: "n" },
      }),
    );
    expect(chat.last_message_at).not.toBeNull();
  });

  authMatrix(
    () => t,
    [
      { method: "GET", path: "/api/chats", minRole: "reader" },
      { method: "POST", path: "/api/chats", minRole: "reader", body: { name: "x" } },
      {
        method: "PATCH",
        path: ({ fixtures }) => `/api/chats/${fixtures.own}`,
        minRole: "reader",
        body: { name: "renamed" },
        foreignPath: ({ fixtures }) => `/api/chats/${fixtures.foreign}`,
      },
      {
        method: "DELETE",
        path: ({ fixtures }) => `/api/chats/${fixtures.own}`,
        minRole: "reader",
        foreignPath: ({ fixtures }) => `/api/chats/${fixtures.foreign}`,
      },
      {
        method: "GET",
        path: ({ fixtures }) => `/api/chats/${fixtures.own}/messages`,
        minRole: "reader",
        foreignPath: ({ fixtures }) => `/api/chats/${fixtures.foreign}/messages`,
      },
      {
        method: "POST",
        path: ({ fixtures }) => `/api/chats/${fixtures.own}/messages`,
        minRole: "reader",
        body: { content: "what is in the handbook?" },
        foreignPath: ({ fixtures }) => `/api/chats/${fixtures.foreign}/messages`,
      },
      {
        method: "POST",
        path: "/v1/chat/completions",
        minRole: "reader",
        body: { model: "any", messages: [{ role: "user", content: "hello" }] },
      },
      { method: "GET", path: "/v1/models", minRole: "reader" },
    ],
    {
      fixtures: async ({ app, team: mine, foreign }: MatrixBase) => ({
        own: await newChat(app, mine.reader.token),
        foreign: await newChat(app, foreign.reader.token),
      }),
    },
  );
});
