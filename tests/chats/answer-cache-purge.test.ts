import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAINTENANCE } from "../../jobs/maintenance/index.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createTenant } from "../helpers/users.ts";

describe("maintenance: purge-answer-cache", () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it("removes expired cached answers and keeps live ones", async () => {
    const tenant = await createTenant(t.deps);
    const entry = (key: string, expiresAt: Date) => ({
      key,
      tenant_id: tenant.id,
      document_ids: [],
      response: { content: key },
      expires_at: expiresAt,
    });
    await t.deps.db
      .insertInto("answer_cache")
      .values([entry("old", new Date(Date.now() - 1000)), entry("fresh", new Date(Date.now() + 3_600_000))])
      .execute();
    expect(await MAINTENANCE["purge-answer-cache"](t.deps)).toEqual({ purged: 1 });
    const left = await t.deps.db.selectFrom("answer_cache").select("key").execute();
    expect(left.map((row) => row.key)).toEqual(["fresh"]);
  });
});
