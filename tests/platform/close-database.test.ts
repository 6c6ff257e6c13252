import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeDatabase, createDatabase, createPool } from "../../db/database.ts";
import { createLogger } from "../../shared/logger.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";

/** Well under the pool's 30 s idle timeout: a close that waits for it fails by timing out. */
const CLOSES_WITHIN_MS = 10_000;

describe("closeDatabase", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  const open = () => {
    const pool = createPool(database.url, 2, createLogger("silent"));
    return { pool, db: createDatabase(pool) };
  };

  it(
    "ends a pool only readiness checks used (Kysely never did) and waits for its connections",
    async () => {
      const { pool, db } = open();
      await pool.query("select 1"); // what /readyz runs: the pool itself, not Kysely
      expect(pool.idleCount).toBe(1);
      await closeDatabase(db, pool);
      expect(pool.ended).toBe(true);
      expect(pool.totalCount).toBe(0);
    },
    CLOSES_WITHIN_MS,
  );

  it(
    "ends a pool Kysely used once, without ending it twice",
    async () => {
      const { pool, db } = open();
      await sql`select 1`.execute(db);
      await pool.query("select 1");
      await closeDatabase(db, pool);
      expect(pool.ended).toBe(true);
      expect(pool.totalCount).toBe(0);
    },
    CLOSES_WITHIN_MS,
  );
});
