import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorCode, readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import { authMatrix } from "../helpers/auth-matrix.ts";
import { createTeam, type TestUser } from "../helpers/users.ts";

interface Entry {
  id: string;
  actor_id: string | null;
  actor_login: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  meta: Record<string, unknown>;
  created_at: string;
}
interface Page {
  items: Entry[];
  next_cursor: string | null;
}
interface Seed {
  id: string;
  at: string;
  action: string;
  actor: string | null;
  targetType: string;
  targetId: string;
}

describe("GET /api/admin/audit", () => {
  let t: TestApp;
  let admin: TestUser;
  let editor: TestUser;
  let reader: TestUser;
  let otherAdmin: TestUser;
  let seeds: Seed[];
  let otherIds: string[];

  /** Newest first, ties broken by id descending: the order the API promises. */
  const ordered = (rows: Seed[]) =>
    [...rows].sort((a, b) => b.at.localeCompare(a.at) || b.id.localeCompare(a.id)).map((r) => r.id);

  async function list(query: string, token = admin.token): Promise<Page> {
    const res = await t.call(`/api/admin/audit${query}`, { token });
    expect(res.status).toBe(200);
    return readJson<Page>(res);
  }

  async function listAll(query: string, limit: number): Promise<{ ids: string[]; pages: number }> {
    const ids: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const sep = query ? "&" : "";
      const page: Page = await list(
        `?${query}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
      );
      expect(page.items.length).toBeLessThanOrEqual(limit);
      ids.push(...page.items.map((i) => i.id));
      cursor = page.next_cursor;
      pages += 1;
    } while (cursor !== null && pages < 50);
    return { ids, pages };
  }

  beforeAll(async () => {
    t = await startTestApp();
    const team = await createTeam(t.deps);
    ({ admin, editor, reader } = team);
    otherAdmin = (await createTeam(t.deps)).admin;
    // Several rows inside one millisecond and one exact tie: paging must keep microseconds and break ties by id.
    const rows = [
      {
        at: "2026-01-01T10:00:00.000100Z",
        action: "user.create",
        actor: admin.id,
        targetType: "user",
        targetId: "u1",
      },
      {
        at: "2026-01-01T10:00:00.000500Z",
        action: "user.update",
        actor: admin.id,
        targetType: "user",
        targetId: "u1",
      },
      {
        at: "2026-01-01T10:00:00.000900Z",
        action: "user.create",
        actor: editor.id,
        targetType: "user",
        targetId: "u2",
      },
      {
        at: "2026-01-02T08:00:00.000000Z",
        action: "document.delete",
        actor: editor.id,
        targetType: "document",
        targetId: "d1",
      },
      {
        at: "2026-01-02T08:00:00.000000Z",
        action: "document.delete",
        actor: editor.id,
        targetType: "document",
        targetId: "d2",
      },
      {
        at: "2026-01-03T12:30:00.000000Z",
        action: "tenant.create",
        actor: admin.id,
        targetType: "tenant",
        targetId: "t1",
      },
      {
        at: "2026-01-04T00:00:00.000000Z",
        action: "user.create",
        actor: null,
        targetType: "user",
        targetId: "u3",
      },
    ];
    seeds = [];
    for (const row of rows) {
      const inserted = await t.deps.db
        .insertInto("audit_log")
        .values({
          tenant_id: admin.tenantId,
          actor_id: row.actor,
          action: row.action,
          target_type: row.targetType,
          target_id: row.targetId,
          meta: { note: row.targetId },
          created_at: row.at,
        })
        .returning("id")
        .executeTakeFirstOrThrow();
      seeds.push({ id: inserted.id, ...row });
    }
    const others = await t.deps.db
      .insertInto("audit_log")
      .values(
        ["user.create", "tenant.create"].map((action) => ({
          tenant_id: otherAdmin.tenantId,
          actor_id: otherAdmin.id,
          action,
          target_type: "user",
          target_id: "u1",
          created_at: "2026-01-02T09:00:00Z",
        })),
      )
      .returning("id")
      .execute();
    otherIds = others.map((r) => r.id);
  });
  afterAll(() => t.close());

  authMatrix(() => t, [{ method: "GET", path: "/api/admin/audit", minRole: "admin" }]);

  it("lists the caller's tenant only, newest first, with the actor's login", async () => {
    const page = await list("");
    expect(page.items.map((i) => i.id)).toEqual(ordered(seeds));
    expect(page.next_cursor).toBeNull();
    const newest = page.items[0];
    expect(newest).toMatchObject({
      action: "user.create",
      actor_id: null,
      actor_login: null,
      target_id: "u3",
    });
    const tenantCreate = page.items.find((i) => i.action === "tenant.create");
    expect(tenantCreate).toMatchObject({
      actor_id: admin.id,
      actor_login: admin.login,
      target_type: "tenant",
      meta: { note: "t1" },
      created_at: "2026-01-03T12:30:00.000Z",
    });

    const other = await list("", otherAdmin.token);
    expect(other.items.map((i) => i.id).sort()).toEqual([...otherIds].sort());
  });

  it("pages through every row exactly once with an opaque cursor, even within one millisecond", async () => {
    for (const limit of [1, 2, 3]) {
      const { ids, pages } = await listAll("", limit);
      expect(ids).toEqual(ordered(seeds));
      expect(pages).toBe(Math.ceil(seeds.length / limit));
    }
    const first = await list("?limit=2");
    expect(first.next_cursor).toMatch(/^[\w-]+$/);
  });

  it("filters by action, actor, target and time window, and pages within a filter", async () => {
    const byAction = await list("?action=user.create");
    expect(byAction.items.map((i) => i.id)).toEqual(ordered(seeds.filter((s) => s.action === "user.create")));

    const byActor = await listAll(`actor_id=${editor.id}`, 2);
    expect(byActor.ids).toEqual(ordered(seeds.filter((s) => s.actor === editor.id)));

    const byTarget = await list("?target_type=user&target_id=u1");
    expect(byTarget.items.map((i) => i.id)).toEqual(
      ordered(seeds.filter((s) => s.targetType === "user" && s.targetId === "u1")),
    );

    const since = "2026-01-02T08:00:00Z";
    const until = "2026-01-04T00:00:00Z";
    const window = await list(`?since=${encodeURIComponent(since)}&until=${encodeURIComponent(until)}`);
    expect(window.items.map((i) => i.id)).toEqual(
      ordered(seeds.filter((s) => s.at >= "2026-01-02T08" && s.at < "2026-01-04")),
    );
    expect(window.items).toHaveLength(3);

    const none = await list("?action=nothing.happened");
    expect(none).toEqual({ items: [], next_cursor: null });
  });

  it("refuses a tampered cursor with 400", async () => {
    const forged = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const cursors = [
      "not-a-cursor",
      "a%2Fb",
      forged({ t: "yesterday", id: seeds[0]?.id }),
      forged({ t: "2026-01-01T00:00:00Z", id: "not-a-uuid" }),
      forged(["2026-01-01T00:00:00Z"]),
    ];
    for (const cursor of cursors) {
      const res = await t.call(`/api/admin/audit?cursor=${cursor}`, { token: admin.token });
      expect(res.status, cursor).toBe(400);
      expect(await errorCode(res)).toBe("bad_request");
    }
  });

  it("validates limit and filters with 422", async () => {
    for (const query of ["limit=0", "limit=101", "limit=abc", "actor_id=123", "since=yesterday"]) {
      const res = await t.call(`/api/admin/audit?${query}`, { token: admin.token });
      expect(res.status, query).toBe(422);
      expect(await errorCode(res)).toBe("validation_failed");
    }
    expect((await list("?limit=100")).items).toHaveLength(seeds.length);
  });

  it("is for tenant admins only: 401 without a token, 403 for readers and editors", async () => {
    const anonymous = await t.call("/api/admin/audit");
    expect(anonymous.status).toBe(401);
    expect(await errorCode(anonymous)).toBe("unauthorized");
    for (const user of [reader, editor]) {
      const res = await t.call("/api/admin/audit", { token: user.token });
      expect(res.status).toBe(403);
      expect(await errorCode(res)).toBe("forbidden");
    }
  });
});
