import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool } from "../../db/database.ts";
import { createLogger } from "../../shared/logger.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";

describe("database pool: a connection dropped by the server", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database.drop());

  it("is logged as a warning naming the error, without the pg client (or its cancel key)", async () => {
    const lines: string[] = [];
    const log = createLogger("warn", {}, { write: (line: string) => void lines.push(line) });
    const pool = createPool(database.url, 2, log);
    const idle = await pool.connect();
    const { rows } = await idle.query<{ pid: number }>("select pg_backend_pid() as pid");
    idle.release(); // back in the pool, idle
    const killer = createPool(database.url, 1, createLogger("silent"));
    await killer.query("select pg_terminate_backend($1)", [rows[0]?.pid]);
    await killer.end();
    // The connection's own listener and the pool's idle-client listener each report it.
    await expect.poll(() => lines.length).toBe(2);
    const logged = lines.map((line) => JSON.parse(line));
    expect(logged.map((line) => line.msg).sort()).toEqual([
      "database connection failed",
      "idle database connection failed",
    ]);
    for (const line of logged) {
      expect(line.level).toBe(40);
      expect(line.err).toMatchObject({
        message: "terminating connection due to administrator command",
        code: "57P01",
      });
      expect(line.err).not.toHaveProperty("client");
    }
    expect(lines.join("\n")).not.toMatch(/secretKey|processID|connectionParameters/);
    // The pool stays usable: the broken connection was dropped, a new one is opened.
    expect((await pool.query("select 1 as one")).rows).toEqual([{ one: 1 }]);
    await pool.end();
  });
});
