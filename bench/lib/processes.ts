import { type ChildProcess, spawn } from "node:child_process";
import { freePort } from "../../shared/net/free-port.ts";

export interface Started {
  process: ChildProcess;
  url: string;
  /** Milliseconds from spawn to the first 200 on /healthz. */
  coldStartMs: number;
  stop(): Promise<void>;
}

/** Spawns `node <bundle>` on a free port and polls /healthz until it answers 200 (fails after 20 s). */
export async function startBundle(bundle: string, env: Record<string, string> = {}): Promise<Started> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child = spawn(process.execPath, [bundle], {
    env: { ...process.env, LOG_LEVEL: "silent", ...env, PORT: String(port), HOST: "127.0.0.1" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  while (performance.now() - started < 20_000) {
    if (child.exitCode !== null) throw new Error(`${bundle} exited with ${child.exitCode}: ${stderr}`);
    const ok = await fetch(`${url}/healthz`).then(
      (res) => res.status === 200,
      () => false,
    );
    if (ok) {
      const coldStartMs = performance.now() - started;
      return {
        process: child,
        url,
        coldStartMs,
        stop: () =>
          new Promise((resolve) => {
            if (child.exitCode !== null) return resolve();
            child.once("exit", () => resolve());
            child.kill("SIGTERM");
          }),
      };
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  child.kill("SIGKILL");
  throw new Error(`${bundle} did not answer /healthz within 20 s: ${stderr}`);
}
