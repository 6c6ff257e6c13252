import { execFileSync } from "node:child_process";
import autocannon from "autocannon";
import { createDatabase, createPool } from "../db/database.ts";
import { generateSigningJwk } from "../shared/auth/keys.ts";
import { createLogger } from "../shared/logger.ts";
import { createBenchUser } from "./lib/bench-user.ts";
import { freshBenchDatabase } from "./lib/database.ts";
import { buildHelloServer } from "./lib/hello.ts";
import { startBundle } from "./lib/processes.ts";
import { fmt, median, printTable } from "./lib/table.ts";

const CONNECTIONS = 50;
const DURATION_SECONDS = 5;
/** Rounds of each target, alternated, so a burst of other work on the machine hits both alike. */
const ROUNDS = 3;

interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
}

async function load(url: string, headers: Record<string, string>, duration: number): Promise<LoadResult> {
  const result = await autocannon({ url, connections: CONNECTIONS, duration, headers });
  if (result.non2xx > 0 || result.errors > 0) {
    throw new Error(`${url}: ${result.non2xx} non-2xx and ${result.errors} errors under load`);
  }
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

function medianLoad(results: LoadResult[]): LoadResult {
  const of = (key: keyof LoadResult) => median(results.map((result) => result[key]));
  return { rps: of("rps"), p50: of("p50"), p99: of("p99") };
}

/** GET /api/auth/me with a valid token vs a bare Hono hello route (cold starts: bench/cold-start.ts). */
export async function benchAuth(): Promise<void> {
  const helloBundle = await buildHelloServer();
  const databaseUrl = await freshBenchDatabase("quarry_bench_auth");
  const jwk = await generateSigningJwk("bench-1");
  const env = {
    DATABASE_URL: databaseUrl,
    JWT_KEYS: JSON.stringify([jwk]),
    RATE_LIMIT_DEFAULT: "100000000/60s",
  };
  execFileSync(process.execPath, ["dist/migrate.mjs"], {
    env: { ...process.env, ...env, LOG_LEVEL: "warn" },
  });

  const pool = createPool(databaseUrl, 2, createLogger("warn"));
  const db = createDatabase(pool);
  const { token } = await createBenchUser(db, jwk);
  await db.destroy();

  const hello = await startBundle(helloBundle);
  const auth = await startBundle("dist/auth.mjs", env);
  // As deployed: LOG_LEVEL=info writes one line per request (to /dev/null here).
  const loggingAuth = await startBundle("dist/auth.mjs", { ...env, LOG_LEVEL: "info" });
  const bearer = { authorization: `Bearer ${token}` };
  const targets = [
    { url: `${hello.url}/hello`, headers: {} as Record<string, string>, rounds: [] as LoadResult[] },
    { url: `${auth.url}/api/auth/me`, headers: bearer, rounds: [] as LoadResult[] },
    { url: `${loggingAuth.url}/api/auth/me`, headers: bearer, rounds: [] as LoadResult[] },
  ];
  try {
    for (const target of targets) await load(target.url, target.headers, 2); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const target of targets)
        target.rounds.push(await load(target.url, target.headers, DURATION_SECONDS));
    }
  } finally {
    await hello.stop();
    await auth.stop();
    await loggingAuth.stop();
  }
  const [helloLoad, meLoad, loggedMeLoad] = targets.map((target) => medianLoad(target.rounds)) as [
    LoadResult,
    LoadResult,
    LoadResult,
  ];

  printTable(
    `Authenticated read vs bare Hono (${CONNECTIONS} connections; median of ${ROUNDS} alternated ${DURATION_SECONDS} s rounds)`,
    [
      {
        route: "bare Hono GET /hello",
        "req/s": fmt(helloLoad.rps, 0),
        "p50 ms": helloLoad.p50,
        "p99 ms": helloLoad.p99,
      },
      {
        route: "GET /api/auth/me (JWT + user lookup, LOG_LEVEL=silent)",
        "req/s": fmt(meLoad.rps, 0),
        "p50 ms": meLoad.p50,
        "p99 ms": meLoad.p99,
      },
      {
        route: "ratio me/hello (target ≥ 0.5)",
        "req/s": fmt(meLoad.rps / helloLoad.rps, 2),
        "p50 ms": "",
        "p99 ms": "target < 10",
      },
      {
        route: "GET /api/auth/me, LOG_LEVEL=info (a line per request)",
        "req/s": fmt(loggedMeLoad.rps, 0),
        "p50 ms": loggedMeLoad.p50,
        "p99 ms": loggedMeLoad.p99,
      },
      {
        route: "ratio logged me/hello",
        "req/s": fmt(loggedMeLoad.rps / helloLoad.rps, 2),
        "p50 ms": "",
        "p99 ms": "",
      },
    ],
  );
}
