import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../shared/config/index.ts";

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe("configuration", () => {
  it("has working defaults for an empty environment", () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(8080);
    expect(config.DATA_DIR).toBe(".data");
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.RATE_LIMIT_LOGIN).toEqual({ limit: 10, windowSeconds: 60 });
  });

  it("names every bad variable in one error", () => {
    const problems = problemsOf({
      PORT: "eighty",
      DATABASE_URL: "mysql://x",
      RATE_LIMIT_LOGIN: "ten",
      LOG_LEVEL: "loud",
    });
    expect(problems).toHaveLength(4);
    for (const name of ["PORT", "DATABASE_URL", "RATE_LIMIT_LOGIN", "LOG_LEVEL"]) {
      expect(problems.some((p) => p.startsWith(`${name}:`))).toBe(true);
    }
  });

  it("refuses an upload limit over 2 GiB (files are extracted whole, and moved with one S3 copy)", () => {
    expect(loadConfig({ UPLOAD_LIMIT_BYTES: String(2 * 1024 ** 3) }).UPLOAD_LIMIT_BYTES).toBe(2 * 1024 ** 3);
    const problems = problemsOf({ UPLOAD_LIMIT_BYTES: String(2 * 1024 ** 3 + 1) });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^UPLOAD_LIMIT_BYTES:/);
  });

  it("never echoes a secret's value in the error", () => {
    const problems = problemsOf({ ADMIN_PASSWORD: "short", DATABASE_URL: "not a url with secret-pw" });
    expect(problems.join("\n")).not.toContain("short");
    expect(problems.join("\n")).not.toContain("secret-pw");
  });

  it("reads *_FILE secrets, and refuses both forms at once", () => {
    const dir = mkdtempSync(join(tmpdir(), "quarry-config-"));
    const file = join(dir, "admin-password");
    writeFileSync(file, "from-a-file-123\n");
    expect(loadConfig({ ADMIN_PASSWORD_FILE: file }).ADMIN_PASSWORD).toBe("from-a-file-123");
    expect(problemsOf({ ADMIN_PASSWORD_FILE: file, ADMIN_PASSWORD: "inline-password" })).toEqual([
      "ADMIN_PASSWORD and ADMIN_PASSWORD_FILE are both set: keep one",
    ]);
    expect(problemsOf({ ADMIN_PASSWORD_FILE: join(dir, "missing") })[0]).toContain("cannot read");
  });

  it("fails a process at boot with one clear message and exit code 2", () => {
    let output = "";
    let status = 0;
    try {
      execFileSync("npx", ["tsx", "bin/migrate.ts"], {
        env: { ...process.env, PORT: "-1", LOG_LEVEL: "chatty", DATABASE_URL: "" },
        encoding: "utf8",
        stdio: "pipe",
      });
    } catch (error) {
      const failure = error as { status: number; stderr: string };
      status = failure.status;
      output = failure.stderr;
    }
    expect(status).toBe(2);
    expect(output).toContain("Invalid configuration:");
    expect(output).toContain("PORT:");
    expect(output).toContain("LOG_LEVEL:");
  });

  it("is the only reader of process.env in application code", () => {
    const hits = execFileSync(
      "grep",
      ["-rln", "process\\.env", "functions", "shared", "jobs", "db", "bin", "--include=*.ts"],
      { encoding: "utf8" },
    )
      .split("\n")
      .filter(Boolean);
    expect(hits).toEqual(["shared/config/index.ts"]);
  });
});
