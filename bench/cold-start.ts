import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { generateSigningJwk } from "../shared/auth/keys.ts";
import { freshBenchDatabase } from "./lib/database.ts";
import { buildHelloServer } from "./lib/hello.ts";
import { startBundle } from "./lib/processes.ts";
import { fmt, printTable } from "./lib/table.ts";

const RUNS = 7;
/** What runs as a container (the functions and the worker), in stack.yml's order. */
const BUNDLES = ["auth", "chats", "rag", "analyze", "ops", "worker"];
/** The one-shot and operator bundles the image also carries. */
const TOOLS = ["migrate", "cli"];

async function medianColdStart(bundle: string, env: Record<string, string>): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const started = await startBundle(bundle, env);
    times.push(started.coldStartMs);
    await started.stop();
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? Number.NaN;
}

const kib = (bytes: number) => fmt(bytes / 1024, 0);

/**
 * Cold start of every bundle (process spawn → first 200 on /healthz, median of RUNS, on a migrated
 * database) against a bare Hono hello server bundled the same way; bundle sizes, raw and gzipped (what the
 * image adds to the Node base: `COPY dist/*.mjs dist/openapi.json`).
 */
export async function benchColdStart(): Promise<void> {
  const hello = await buildHelloServer();
  const databaseUrl = await freshBenchDatabase("quarry_bench_cold_start");
  const dataDir = mkdtempSync(join(tmpdir(), "quarry-bench-cold-"));
  const env = {
    DATABASE_URL: databaseUrl,
    JWT_KEYS: JSON.stringify([await generateSigningJwk("bench-1")]),
    DATA_DIR: dataDir,
    BLOB_SIGNING_SECRET: "bench-blob-signing-secret-0123456789abcdef",
  };
  execFileSync(process.execPath, ["dist/migrate.mjs"], {
    env: { ...process.env, ...env, LOG_LEVEL: "warn" },
  });

  try {
    const helloMs = await medianColdStart(hello, {});
    const rows: Record<string, string>[] = [
      {
        bundle: "bare Hono hello (baseline)",
        KiB: kib(statSync(hello).size),
        "gzip KiB": "",
        "cold start ms": fmt(helloMs),
        "× hello (target ≤ 2)": "1.00",
      },
    ];
    let total = statSync("dist/openapi.json").size;
    let totalGzip = gzipSync(readFileSync("dist/openapi.json")).length;
    for (const name of [...BUNDLES, ...TOOLS]) {
      const file = `dist/${name}.mjs`;
      if (!existsSync(file)) {
        rows.push({
          bundle: file,
          KiB: "not built",
          "gzip KiB": "",
          "cold start ms": "",
          "× hello (target ≤ 2)": "",
        });
        continue;
      }
      const bytes = statSync(file).size;
      const gzipped = gzipSync(readFileSync(file)).length;
      total += bytes;
      totalGzip += gzipped;
      const ms = BUNDLES.includes(name) ? await medianColdStart(file, env) : Number.NaN;
      rows.push({
        bundle: file,
        KiB: kib(bytes),
        "gzip KiB": kib(gzipped),
        "cold start ms": Number.isNaN(ms) ? "(one-shot)" : fmt(ms),
        "× hello (target ≤ 2)": Number.isNaN(ms) ? "" : fmt(ms / helloMs, 2),
      });
    }
    rows.push({
      bundle: "image payload (all bundles + openapi.json)",
      KiB: kib(total),
      "gzip KiB": kib(totalGzip),
      "cold start ms": "",
      "× hello (target ≤ 2)": "",
    });
    printTable(
      `Cold start, process spawn → first 200 on /healthz (median of ${RUNS}), and bundle sizes`,
      rows,
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
