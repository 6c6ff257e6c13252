import { Kysely, type KyselyPlugin, PostgresDialect } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { DB } from "../../db/types.ts";
import { cacheActiveUsers } from "../../shared/auth/active-users.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createTeam } from "../helpers/users.ts";

/** A database handle that counts the statements it sends (the real database behind it). */
function countingDatabase(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  const counted = { selects: 0 };
  const db = new Kysely<DB>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (event.level === "query" && /^select/i.test(event.query.sql)) counted.selects += 1;
    },
  });
  return { db, counted };
}

describe("the active-users cache", () => {
  let t: TestApp;
  let team: Awaited<ReturnType<typeof createTeam>>;
  let handle: ReturnType<typeof countingDatabase>;
  beforeAll(async () => {
    t = await startTestApp();
    team = await createTeam(t.deps);
    handle = countingDatabase(t.deps.config.DATABASE_URL as string);
  });
  afterAll(async () => {
    await handle.db.destroy();
    await t.close();
  });

  it("serves requests that miss together from one read, then from memory until the TTL", async () => {
    const users = cacheActiveUsers(handle.db, 60_000);
    const before = handle.counted.selects;
    const results = await Promise.all(Array.from({ length: 50 }, () => users.get(team.reader.id)));
    expect(new Set(results.map((user) => user?.id))).toEqual(new Set([team.reader.id]));
    expect(handle.counted.selects - before).toBe(1);
    await users.get(team.reader.id);
    expect(handle.counted.selects - before).toBe(1);
  });

  it("reads again after forget and after the TTL", async () => {
    const users = cacheActiveUsers(handle.db, 50);
    const before = handle.counted.selects;
    await users.get(team.editor.id);
    users.forget(team.editor.id);
    await users.get(team.editor.id);
    expect(handle.counted.selects - before).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 80));
    await users.get(team.editor.id);
    expect(handle.counted.selects - before).toBe(3);
  });

  it("does not keep a failed read", async () => {
    let failNext = true;
    const flaky: KyselyPlugin = {
      transformQuery(args) {
        if (failNext) {
          failNext = false;
          throw new Error("database unreachable");
        }
        return args.node;
      },
      transformResult: async (args) => args.result,
    };
    const users = cacheActiveUsers(handle.db.withPlugin(flaky), 60_000);
    await expect(users.get(team.admin.id)).rejects.toThrow("database unreachable");
    expect((await users.get(team.admin.id))?.id).toBe(team.admin.id);
  });
});
