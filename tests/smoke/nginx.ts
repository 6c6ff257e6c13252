import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../../shared/net/free-port.ts";

export const NGINX_CONF = "infra/nginx/nginx.conf";
export const MAINTENANCE_PAGE = "infra/nginx/maintenance.html";
/** The upstreams of nginx.conf: one per function, named like its stack service. */
export const FUNCTIONS = ["auth", "chats", "rag", "analyze", "ops"] as const;
export type FunctionName = (typeof FUNCTIONS)[number];

/** The nginx binary, or null when it is not installed. */
export function findNginx(): string | null {
  for (const candidate of ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/local/nginx/sbin/nginx"]) {
    if (existsSync(candidate)) return candidate;
  }
  try {
    return execFileSync("sh", ["-c", "command -v nginx"], { encoding: "utf8" }).trim() || null;
  } catch {
    return null;
  }
}

export interface LocalConfigOptions {
  /** Loopback port of each function (a closed port for a function that is not running). */
  upstreams: Record<FunctionName, number>;
  listen: number;
  internalListen: number;
  /** Directory with maintenance.html (and maintenance.on to switch maintenance on). */
  root: string;
  /** Directory for temp files and the access log. */
  work: string;
  /** Replaces the per-address connection limit (to test it without opening 64 connections). */
  connectionLimit?: number;
}

function replaceExactly(text: string, pattern: RegExp, replacement: string, expected: number): string {
  const count = text.match(new RegExp(pattern.source, `${pattern.flags.replace("g", "")}g`))?.length ?? 0;
  if (count !== expected) {
    throw new Error(`${NGINX_CONF}: expected ${expected} match(es) of ${pattern}, found ${count}`);
  }
  return text.replace(new RegExp(pattern.source, `${pattern.flags.replace("g", "")}g`), replacement);
}

/** nginx.conf with each upstream's `server <function>:8080` pointed at a loopback port instead. */
export function withLoopbackUpstreams(source: string, ports: Record<FunctionName, number>): string {
  let text = source;
  for (const name of FUNCTIONS) {
    text = replaceExactly(
      text,
      new RegExp(`^(\\s*)server ${name}:8080;$`, "m"),
      `$1server 127.0.0.1:${ports[name]};`,
      1,
    );
  }
  return text;
}

/**
 * The production nginx.conf with only what cannot hold on this machine rewritten: upstream hosts (they
 * resolve only inside the overlay network) become loopback ports, listen ports become free loopback
 * ports, and the root, temp paths and access log move to temp directories. Anything else is byte-identical.
 */
export function localNginxConfig(source: string, options: LocalConfigOptions): string {
  let text = withLoopbackUpstreams(source, options.upstreams);
  text = replaceExactly(text, /^(\s*)listen 80;$/m, `$1listen 127.0.0.1:${options.listen};`, 1);
  text = replaceExactly(text, /^(\s*)listen 8081;$/m, `$1listen 127.0.0.1:${options.internalListen};`, 1);
  text = replaceExactly(text, /^(\s*)root \/usr\/share\/nginx\/quarry;$/m, `$1root ${options.root};`, 1);
  text = replaceExactly(
    text,
    /^(\s*)access_log \/dev\/stdout quarry;$/m,
    `$1access_log ${join(options.work, "access.log")} quarry;`,
    1,
  );
  if (options.connectionLimit !== undefined) {
    text = replaceExactly(
      text,
      /^(\s*)limit_conn quarry_per_ip \d+;$/m,
      `$1limit_conn quarry_per_ip ${options.connectionLimit};`,
      1,
    );
  }
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
    .map((kind) => `  ${kind}_temp_path ${join(options.work, kind)};`)
    .join("\n");
  return replaceExactly(text, /^http \{$/m, `http {\n${temp}`, 1);
}

export interface LocalNginx {
  url: string;
  internalUrl: string;
  root: string;
  /** The JSON access log lines written so far. */
  accessLog(): Record<string, unknown>[];
  stop(): Promise<void>;
}

export interface StartNginxOptions {
  upstreams: Record<FunctionName, number>;
  connectionLimit?: number;
}

async function waitForPort(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`nginx exited with ${child.exitCode}: ${output()}`);
    const up = await fetch(url).then(
      (res) => res.status === 200,
      () => false,
    );
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`nginx did not start within 10 s: ${output()}`);
}

/** A real nginx (foreground, its own prefix) running the project's config against loopback upstreams. */
export async function startNginx(binary: string, options: StartNginxOptions): Promise<LocalNginx> {
  const dir = mkdtempSync(join(tmpdir(), "quarry-nginx-"));
  const root = join(dir, "html");
  const work = join(dir, "work");
  mkdirSync(root);
  mkdirSync(work);
  // A root master runs its workers as nobody: they must reach the page and write temp files.
  chmodSync(dir, 0o755);
  chmodSync(root, 0o777);
  chmodSync(work, 0o777);
  copyFileSync(MAINTENANCE_PAGE, join(root, "maintenance.html"));
  const [listen, internalListen] = [await freePort(), await freePort()];
  const confPath = join(dir, "nginx.conf");
  writeFileSync(
    confPath,
    localNginxConfig(readFileSync(NGINX_CONF, "utf8"), {
      upstreams: options.upstreams,
      listen,
      internalListen,
      root,
      work,
      connectionLimit: options.connectionLimit,
    }),
  );
  const child = spawn(
    binary,
    ["-p", dir, "-c", confPath, "-g", `daemon off; pid ${join(dir, "nginx.pid")};`],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  child.stdout?.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    output += chunk;
  });
  const internalUrl = `http://127.0.0.1:${internalListen}`;
  try {
    await waitForPort(`${internalUrl}/healthz`, child, () => output);
  } catch (error) {
    child.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `http://127.0.0.1:${listen}`,
    internalUrl,
    root,
    accessLog() {
      const path = join(work, "access.log");
      if (!existsSync(path)) return [];
      return readFileSync(path, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    async stop() {
      if (child.exitCode === null) {
        await new Promise<void>((resolve) => {
          child.once("exit", () => resolve());
          child.kill("SIGTERM");
        });
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
