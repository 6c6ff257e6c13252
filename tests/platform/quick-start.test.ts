import { type ChildProcess, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runningPostmaster } from "../../db/embedded.ts";
import { freePort } from "../../shared/net/free-port.ts";

/**
 * `npm start` as a person runs it: embedded Postgres in a fresh DATA_DIR, nothing else configured.
 * Each run is its own process group, signalled as a terminal's Ctrl-C signals its foreground group.
 */
const dataDir = mkdtempSync(join(tmpdir(), "quarry-quick-start-"));
// As root, Postgres runs as the `postgres` user: it must be able to enter the directory (mkdtemp makes 0700).
chmodSync(dataDir, 0o755);
let adminPassword = "";

interface Run {
  child: ChildProcess;
  url: string;
  /** Everything the process wrote to stdout so far. */
  output(): string;
  exited: Promise<number | null>;
}

function spawnStart(dir: string, port: number): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "bin/start.ts"], {
    // Only what a fresh machine has: no DATABASE_URL, no REDIS_URL.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, DATA_DIR: dir, PORT: String(port) },
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
}

async function start(): Promise<Run> {
  const port = await freePort();
  const child = spawnStart(dataDir, port);
  let stdout = "";
  child.stdout?.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    stdout += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 60 s:\n${stdout}`)), 60_000);
    const poll = setInterval(() => {
      const match = stdout.match(/Quarry is running at (\S+)/);
      if (match?.[1] || child.exitCode !== null) {
        clearInterval(poll);
        clearTimeout(timer);
        if (match?.[1]) resolve(match[1]);
        else reject(new Error(`exited with ${child.exitCode}:\n${stdout}`));
      }
    }, 50);
  });
  return { child, url, output: () => stdout, exited };
}

/** Log lines at warn level or above (pino levels 40+). */
function warnings(output: string): string[] {
  return output.split("\n").filter((line) => /"level":(4|5|6)\d/.test(line));
}

const postgresRunning = () => runningPostmaster(join(dataDir, "pg")) !== null;

afterAll(() => {
  const left = runningPostmaster(join(dataDir, "pg"));
  if (left !== null) process.kill(left, "SIGINT");
  rmSync(dataDir, { recursive: true, force: true });
});

describe("npm start (embedded defaults)", () => {
  it("prints a first admin whose password works, and stops cleanly on Ctrl-C", async () => {
    const run = await start();
    adminPassword = run.output().match(/Password \(shown once, change it\): (\S+)/)?.[1] ?? "";
    expect(adminPassword).not.toBe("");

    const login = await fetch(`${run.url}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ login: "admin", password: adminPassword }),
    });
    expect(login.status).toBe(200);
    const { access_token: token } = (await login.json()) as { access_token: string };
    const me = await fetch(`${run.url}/api/auth/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await me.json()) as { role: string }).role).toBe("admin");

    process.kill(-(run.child.pid as number), "SIGINT");
    expect(await run.exited).toBe(0);
    // Postgres got the Ctrl-C only from Quarry, after the pools closed: no session was cut under them.
    expect(warnings(run.output())).toEqual([]);
    expect(postgresRunning()).toBe(false);
  }, 90_000);

  it("starts over a data directory whose Quarry was killed, keeping its data", async () => {
    const killed = await start();
    expect(killed.output()).not.toContain("Password (shown once");
    process.kill(killed.child.pid as number, "SIGKILL");
    await killed.exited;
    expect(postgresRunning()).toBe(true); // left behind, as after a crash

    const next = await start();
    expect(next.output()).toContain("stopping embedded Postgres left running by a killed Quarry");
    const login = await fetch(`${next.url}/api/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ login: "admin", password: adminPassword }),
    });
    expect(login.status).toBe(200);
    // Closing the terminal sends SIGHUP to its process group: a clean stop as well.
    process.kill(-(next.child.pid as number), "SIGHUP");
    expect(await next.exited).toBe(0);
    expect(warnings(next.output()).filter((line) => !line.includes("left running"))).toEqual([]);
    expect(postgresRunning()).toBe(false);
  }, 120_000);

  it.runIf(process.getuid?.() === 0)(
    "as root, refuses a DATA_DIR the postgres user cannot enter, naming the directory",
    async () => {
      const privateHome = mkdtempSync(join(tmpdir(), "quarry-private-")); // 0700, like /root
      try {
        const child = spawnStart(join(privateHome, ".data"), await freePort());
        let output = "";
        child.stderr?.on("data", (chunk) => {
          output += chunk;
        });
        const code = await new Promise((resolve) => child.once("exit", resolve));
        expect(code).not.toBe(0);
        expect(output).toContain(`"postgres" user, which cannot enter ${privateHome}`);
      } finally {
        rmSync(privateHome, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
