import { describe, expect, it } from "vitest";
import { createLogger } from "../../shared/logger.ts";

/** A logger at `info` whose lines are kept, parsed, for the test to read. */
function capturedLogger() {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger(
    "info",
    { function: "test" },
    {
      write: (line: string) => {
        lines.push(JSON.parse(line));
      },
    },
  );
  return { log, lines };
}

describe("logger: secrets never reach a line", () => {
  it("censors secret fields at the top of the log object and one level down", () => {
    const { log, lines } = capturedLogger();
    const logged = {
      password: "hunter2",
      refresh_token: "rt-secret",
      body: { login: "ada", new_password: "n3w-secret", current_password: "old-secret" },
      headers: { authorization: "Bearer abc.def", cookie: "sid=xyz", "user-agent": "curl" },
      user_id: "u-1",
    };
    log.info(logged, "login attempt");
    expect(lines[0]).toMatchObject({
      msg: "login attempt",
      function: "test",
      password: "[redacted]",
      refresh_token: "[redacted]",
      body: { login: "ada", new_password: "[redacted]", current_password: "[redacted]" },
      headers: { authorization: "[redacted]", cookie: "[redacted]", "user-agent": "curl" },
      user_id: "u-1",
    });
    const raw = JSON.stringify(lines[0]);
    for (const secret of ["hunter2", "rt-secret", "n3w-secret", "old-secret", "abc.def", "sid=xyz"]) {
      expect(raw).not.toContain(secret);
    }
    // The caller's object is left as it was.
    expect(logged.password).toBe("hunter2");
    expect(logged.headers.authorization).toBe("Bearer abc.def");
  });

  it("passes a line without secrets through whole, and still serialises errors", () => {
    const { log, lines } = capturedLogger();
    log.info({ request_id: "r-1", route: "/api/auth/me", status: 200, duration_ms: 0.4 }, "request");
    log.error({ err: new Error("disk full"), access_token: "at-secret" }, "upload failed");
    expect(lines[0]).toMatchObject({
      request_id: "r-1",
      route: "/api/auth/me",
      status: 200,
      duration_ms: 0.4,
    });
    expect(lines[1]).toMatchObject({
      err: { type: "Error", message: "disk full" },
      access_token: "[redacted]",
    });
    expect((lines[1] as { err: { stack: string } }).err.stack).toContain("disk full");
  });
});
