import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { verifyPassword } from "../../shared/auth/passwords.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

const ROOT = join(import.meta.dirname, "..", "..");
const TSX = join(ROOT, "node_modules", ".bin", "tsx");

describe("npm run cli", { timeout: 120_000 }, () => {
  let t: TestApp;
  let dataDir: string;

  function cli(args: string[], options: { input?: string; databaseUrl?: string | null } = {}): Promise<Run> {
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "",
      LOG_LEVEL: "silent",
      DATA_DIR: dataDir,
      PASSWORD_SCRYPT_LOG_N: "10",
    };
    const databaseUrl = options.databaseUrl === undefined ? t.deps.config.DATABASE_URL : options.databaseUrl;
    if (databaseUrl) env.DATABASE_URL = databaseUrl;
    return new Promise((resolve, reject) => {
      const child = spawn(TSX, ["bin/cli.ts", ...args], { cwd: ROOT, env });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => {
        stdout += chunk.toString();
      });
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      child.on("error", reject);
      child.on("close", (code) => resolve({ code, stdout, stderr }));
      child.stdin.end(options.input ?? "");
    });
  }

  async function adminOf(slug: string) {
    return t.deps.db
      .selectFrom("tenants as t")
      .innerJoin("users as u", "u.tenant_id", "t.id")
      .select(["t.id as tenant_id", "t.name", "u.id", "u.login", "u.full_name", "u.role", "u.password_hash"])
      .select("u.is_platform_admin")
      .where("t.slug", "=", slug)
      .executeTakeFirst();
  }

  beforeAll(async () => {
    t = await startTestApp();
    dataDir = mkdtempSync(join(tmpdir(), "quarry-cli-test-"));
  });
  afterAll(async () => {
    await t.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("create-tenant creates the tenant and its admin, audited as done by the CLI", async () => {
    const run = await cli([
      "create-tenant",
      "--slug",
      "umbrella",
      "--name",
      "Umbrella Corp",
      "--admin-login",
      "Wesker",
      "--admin-full-name",
      "Albert Wesker",
      "--admin-password",
      "tyrant-virus-1",
    ]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Created tenant "umbrella"');
    expect(run.stdout).not.toContain("tyrant-virus-1");
    const admin = await adminOf("umbrella");
    expect(admin).toMatchObject({
      name: "Umbrella Corp",
      login: "wesker",
      full_name: "Albert Wesker",
      role: "admin",
      is_platform_admin: false,
    });
    expect(await verifyPassword("tyrant-virus-1", admin?.password_hash ?? "")).toBe(true);
    const audit = await t.deps.db
      .selectFrom("audit_log")
      .selectAll()
      .where("tenant_id", "=", admin?.tenant_id ?? "")
      .execute();
    expect(audit).toMatchObject([
      { action: "tenant.create", actor_id: null, target_id: admin?.tenant_id, meta: { via: "cli" } },
    ]);
  });

  it("generates a password and prints it once when none is given", async () => {
    const run = await cli([
      "create-tenant",
      "--slug",
      "cyberdyne",
      "--name",
      "Cyberdyne",
      "--admin-login",
      "miles",
    ]);
    expect(run.code).toBe(0);
    const password = run.stdout.match(/shown once, change it\): (\S+)/)?.[1] ?? "";
    expect(password.length).toBeGreaterThanOrEqual(20);
    const admin = await adminOf("cyberdyne");
    expect(await verifyPassword(password, admin?.password_hash ?? "")).toBe(true);
  });

  it("reads the password from stdin with --admin-password-stdin", async () => {
    const run = await cli(
      [
        "create-tenant",
        "--slug",
        "tyrell",
        "--name",
        "Tyrell",
        "--admin-login",
        "eldon",
        "--admin-password-stdin",
      ],
      { input: "more human than human\n" },
    );
    expect(run.code).toBe(0);
    expect(run.stdout).not.toContain("shown once");
    const admin = await adminOf("tyrell");
    expect(await verifyPassword("more human than human", admin?.password_hash ?? "")).toBe(true);
  });

  it("exits 1 with the reason when the slug is taken", async () => {
    const run = await cli([
      "create-tenant",
      "--slug",
      "umbrella",
      "--name",
      "Again",
      "--admin-login",
      "someone-else",
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("tenant slug already exists");
    expect(
      await t.deps.db.selectFrom("users").select("id").where("login", "=", "someone-else").execute(),
    ).toEqual([]);
  });

  it("exits 2 with the usage on bad arguments, before touching the database", async () => {
    const cases = [
      [[], "no command given"],
      [["frobnicate"], "unknown command: frobnicate"],
      [["create-tenant", "--slug", "x", "--admin-login", "y"], "missing --name"],
      [["create-tenant", "--slug", "x", "--name", "X", "--admin-login", "y", "--colour", "red"], "--colour"],
      [["create-tenant", "--slug", "Not Valid", "--name", "X", "--admin-login", "y"], "slug:"],
      [
        ["create-tenant", "--slug", "ok", "--name", "X", "--admin-login", "y", "--admin-password", "short"],
        "password",
      ],
      [["migrate", "extra"], "migrate takes no arguments"],
    ] as const;
    const runs = await Promise.all(cases.map(([args]) => cli([...args], { databaseUrl: null })));
    runs.forEach((run, i) => {
      const [, message] = cases[i] ?? [];
      expect(run.code, message).toBe(2);
      expect(run.stderr).toContain(message);
      expect(run.stderr).toContain("Usage: npm run cli -- <command>");
    });
    expect(
      await t.deps.db.selectFrom("tenants").select("id").where("slug", "in", ["x", "ok"]).execute(),
    ).toEqual([]);
  });

  it("exits 2 naming DATABASE_URL when it is missing", async () => {
    const run = await cli(["create-tenant", "--slug", "nodb", "--name", "No DB", "--admin-login", "nobody"], {
      databaseUrl: null,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("DATABASE_URL");
  });

  it("migrate brings the database to the latest migration (idempotently)", async () => {
    const run = await cli(["migrate"]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("latest migration");
  });

  it("help prints the usage and exits 0", async () => {
    const run = await cli(["help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("create-tenant --slug <slug>");
  });
});
