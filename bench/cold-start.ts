import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { generateSigningJwk } from "../shared/auth/keys.ts";
import { freshBenchDatabase } from "./lib/database.ts";
import { buildHelloServer } from "./lib/hello.ts";
import { startBundle } from "./lib/processes.ts";
import { fmt, median, printTable } from "./lib/table.ts";

const RUNS = 7;
/** What runs as a container (the functions and the worker), in stack.yml's order. */
const BUNDLES = ["auth", "chats", "rag", "analyze", "ops", "worker"];
/** The one-shot and operator bundles the image also carries. */
const TOOLS = ["migrate", "cli"];

async function coldStart(bundle: string, env: Record<string, string>): Promise<number> {
  const started = await startBundle(bundle, env);
  await started.stop();
  return started.coldStartMs;
}

/**
 * Median cold start of `bundle` and of the hello baseline, over RUNS starts of each taken in turns, so a
 * slower spell of the machine weighs on both alike.
 */
async function pairedColdStarts(hello: string, bundle: string, env: Record<string, string>) {
  const helloMs: number[] = [];
  const bundleMs: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    helloMs.push(await coldStart(hello, {}));
    bundleMs.push(await coldStart(bundle, env));
  }
  return { helloMs: median(helloMs), bundleMs: median(bundleMs) };
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
    const helloRuns: number[] = [];
    for (let i = 0; i < RUNS; i++) helloRuns.push(await coldStart(hello, {}));
    const helloMs = median(helloRuns);
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
      const paired = BUNDLES.includes(name) ? await pairedColdStarts(hello, file, env) : null;
      rows.push({
        bundle: file,
        KiB: kib(bytes),
        "gzip KiB": kib(gzipped),
        "cold start ms": paired ? `${fmt(paired.bundleMs)} (hello ${fmt(paired.helloMs)})` : "(one-shot)",
        "× hello (target ≤ 2)": paired ? fmt(paired.bundleMs / paired.helloMs, 2) : "",
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
      `Cold start, process spawn → first 200 on /healthz (median of ${RUNS}, each bundle's starts taken in turns with the hello baseline's), and bundle sizes`,
      rows,
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}
