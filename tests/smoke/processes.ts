import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { freePort } from "../../shared/net/free-port.ts";

/** One bundle running as its own process, as a container would run it (`node dist/<name>.mjs`). */
export interface BundleProcess {
  name: string;
  port: number;
  url: string;
  /** The JSON log lines written to stdout so far. */
  logLines(): Record<string, unknown>[];
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();

/** Spawns `node dist/<name>.mjs` in `app` on a free loopback port and waits for 200 on /healthz. */
export async function startBundleProcess(
  app: string,
  name: string,
  env: Record<string, string>,
): Promise<BundleProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, [join("dist", `${name}.mjs`)], {
    cwd: app,
    env: { PATH: process.env.PATH ?? "", ...env, HOST: "127.0.0.1", PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  child.once("exit", () => running.delete(child));
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (chunk) => {
    stdout += chunk;
  });
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
      child.once("exit", () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill("SIGTERM");
    });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`dist/${name}.mjs exited with ${child.exitCode}: ${stderr}${stdout}`);
    const ok = await fetch(`${url}/healthz`).then(
      (res) => res.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`dist/${name}.mjs did not answer /healthz within 30 s: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return {
    name,
    port,
    url,
    logLines: () =>
      stdout
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as Record<string, unknown>),
    stop,
  };
}

/** How many processes started here are still running (assert 0 after the suite). */
export function runningProcesses(): number {
  return running.size;
}
