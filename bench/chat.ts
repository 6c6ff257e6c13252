import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createInterface } from "node:readline";
import { createDatabase, createPool } from "../db/database.ts";
import { generateSigningJwk } from "../shared/auth/keys.ts";
import { createLogger } from "../shared/logger.ts";
import type { ChatScript } from "../tests/helpers/chat-stand-in.ts";
import { createBenchUser } from "./lib/bench-user.ts";
import { freshBenchDatabase } from "./lib/database.ts";
import { startBundle } from "./lib/processes.ts";
import { fmt, percentile, printTable } from "./lib/table.ts";

const FIRST_TOKEN_DELAY_MS = 50;
const SHORT_REPLY = Array.from({ length: 20 }, (_, i) => `word${i}`).join(" ");
const LONG_REPLY_TOKENS = 2000;
const ROUNDS = { 1: 40, 50: 6 } as const;
/** Rounds run before measuring, so the figures are a running server's, not its first minute's (JIT warm-up). */
const WARM_UP_ROUNDS = 3;
const OPEN_STREAMS = 50;
/** With 50 streams open, answers are paced like a local model's (50 tokens/s), so each stays open ~0.5 s. */
const PACED_REPLY_TOKENS = 25;
const PACED_TOKEN_DELAY_MS = 20;
const ANSWERS_PER_OPEN_STREAM = 12;
/** Each open stream's first answers are left out: the other streams are still starting. */
const WARM_UP_ANSWERS = 2;

interface Target {
  name: string;
  /** Starts one streamed answer; resolves with ms to the first token and to the end, and tokens seen. */
  run(): Promise<{ firstTokenMs: number; totalMs: number; tokens: number }>;
}

/** Reads a streamed response, timing the first `marker` (a token) and counting them. */
async function timeStream(
  started: number,
  res: Response,
  marker: string,
): Promise<{ firstTokenMs: number; totalMs: number; tokens: number }> {
  if (res.status !== 200 || !res.body) throw new Error(`stream answered ${res.status}: ${await res.text()}`);
  const decoder = new TextDecoder();
  let firstTokenMs = Number.NaN;
  let tokens = 0;
  let carry = "";
  for await (const chunk of res.body) {
    const text = carry + decoder.decode(chunk, { stream: true });
    const count = text.split(marker).length - 1;
    if (count > 0 && Number.isNaN(firstTokenMs)) firstTokenMs = performance.now() - started;
    tokens += count;
    // A marker cut in two by a chunk boundary is counted once its second half arrives.
    carry = text.slice(-(marker.length - 1));
  }
  return { firstTokenMs, totalMs: performance.now() - started, tokens };
}

function directTarget(modelUrl: string): Target {
  return {
    name: "stand-in, direct",
    async run() {
      const started = performance.now();
      const res = await fetch(`${modelUrl}/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          model: "bench",
          stream: true,
          messages: [{ role: "user", content: "When does the office open?" }],
        }),
      });
      // Token chunks only: the first chunk carries the role, not content.
      return timeStream(started, res, '"delta":{"content"');
    },
  };
}

function quarryTarget(url: string, token: string, chats: string[], useRag: boolean): Target {
  return {
    name: useRag ? "Quarry, lexical RAG over 300 chunks" : "Quarry, no retrieval",
    async run() {
      const chatId = chats.pop();
      if (!chatId) throw new Error("out of chats");
      const started = performance.now();
      const res = await fetch(`${url}/api/chats/${chatId}/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({
          content: "When does the office open?",
          response_stream: true,
          use_rag: useRag,
          ...(useRag ? { rag_params: { mode: "lexical", top_k: 5 } } : {}),
        }),
      });
      return timeStream(started, res, "event: token");
    },
  };
}

/** The stand-in in its own process (bench/chat-stand-in.ts); resolves with its base URL. */
async function startStandIn(): Promise<{
  url: string;
  process: ChildProcess;
  script(script: ChatScript): Promise<void>;
}> {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/chat-stand-in.ts"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout as NonNullable<typeof child.stdout> });
  const url = await new Promise<string>((resolve, reject) => {
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`stand-in exited with ${code}`)));
  });
  return {
    url,
    process: child,
    async script(script) {
      const res = await fetch(`${url}/bench/script`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(script),
      });
      if (!res.ok) throw new Error(`stand-in script: ${res.status}`);
    },
  };
}

/**
 * `concurrency` answers started together, `rounds` times (each round waits for its slowest answer):
 * every request of a round arrives in the same millisecond.
 */
async function measure(target: Target, concurrency: number, rounds: number) {
  const firstTokens: number[] = [];
  let tokens = 0;
  let streamMs = 0;
  for (let round = 0; round < WARM_UP_ROUNDS; round++) {
    await Promise.all(Array.from({ length: concurrency }, () => target.run()));
  }
  for (let round = 0; round < rounds; round++) {
    const results = await Promise.all(Array.from({ length: concurrency }, () => target.run()));
    for (const result of results) {
      firstTokens.push(result.firstTokenMs);
      tokens += result.tokens;
      streamMs += result.totalMs;
    }
  }
  firstTokens.sort((a, b) => a - b);
  return {
    p50: percentile(firstTokens, 50),
    p95: percentile(firstTokens, 95),
    tokensPerSecond: tokens / (streamMs / 1000),
  };
}

/**
 * `OPEN_STREAMS` answers always in flight: each of that many clients asks again as soon as its answer
 * ends, their first questions spread over one answer's length so that they do not start in step.
 */
async function measureOpen(target: Target, answerMs: number) {
  const firstTokens: number[] = [];
  await Promise.all(
    Array.from({ length: OPEN_STREAMS }, async (_, client) => {
      await new Promise((resolve) => setTimeout(resolve, (client * answerMs) / OPEN_STREAMS));
      for (let answer = 0; answer < ANSWERS_PER_OPEN_STREAM; answer++) {
        const result = await target.run();
        if (answer >= WARM_UP_ANSWERS) firstTokens.push(result.firstTokenMs);
      }
    }),
  );
  firstTokens.sort((a, b) => a - b);
  return { p50: percentile(firstTokens, 50), p95: percentile(firstTokens, 95) };
}

async function seed(
  databaseUrl: string,
  jwk: Awaited<ReturnType<typeof generateSigningJwk>>,
  chatCount: number,
) {
  const db = createDatabase(createPool(databaseUrl, 2, createLogger("warn")));
  const { tenant, user, token } = await createBenchUser(db, jwk);
  const document = await db
    .insertInto("documents")
    .values({ tenant_id: tenant.id, name: "handbook.md", status: "ready", blob_key: "bench/handbook.md" })
    .returning("id")
    .executeTakeFirstOrThrow();
  const chunks = Array.from({ length: 300 }, (_, idx) => {
    const text = `Section ${idx}. The office opens at ${idx % 12} in the morning on weekdays; parking permits and badges are handled by facilities team ${idx % 7}.`;
    return {
      document_id: document.id,
      tenant_id: tenant.id,
      idx,
      text,
      content_hash: createHash("sha256").update(text).digest("hex"),
      token_count: 30,
    };
  });
  await db.insertInto("chunks").values(chunks).execute();
  const chats = await db
    .insertInto("chats")
    .values(
      Array.from({ length: chatCount }, (_, i) => ({
        tenant_id: tenant.id,
        owner_id: user.id,
        name: `bench ${i}`,
      })),
    )
    .returning("id")
    .execute();
  await db.destroy();

  return { token, chats: chats.map((c) => c.id) };
}

/**
 * Time to first token and streaming throughput through the chats bundle (dist/chats.mjs) against the
 * stand-in model server, vs the same stand-in called directly, in the same run.
 */
export async function benchChat(): Promise<void> {
  const standIn = await startStandIn();
  const databaseUrl = await freshBenchDatabase("quarry_bench_chat");
  const jwk = await generateSigningJwk("bench-1");
  const env = {
    DATABASE_URL: databaseUrl,
    DATABASE_POOL_MAX: "20",
    JWT_KEYS: JSON.stringify([jwk]),
    LLM_URL: standIn.url,
    LLM_MODEL: "bench",
    LLM_CONCURRENCY: "64",
    LLM_QUEUE_LIMIT: "256",
    CHAT_MAX_STREAMS_PER_USER: "1000",
    RATE_LIMIT_DEFAULT: "100000000/60s",
    RATE_LIMIT_CHAT: "100000000/60s",
    ANSWER_CACHE_TTL_SECONDS: "0",
  };
  execFileSync(process.execPath, ["dist/migrate.mjs"], {
    env: { ...process.env, ...env, LOG_LEVEL: "warn" },
  });
  const perPath =
    ROUNDS[1] +
    WARM_UP_ROUNDS +
    50 * (ROUNDS[50] + WARM_UP_ROUNDS) +
    OPEN_STREAMS * ANSWERS_PER_OPEN_STREAM +
    10;
  const { token, chats } = await seed(databaseUrl, jwk, 2 * perPath + 20);
  const chatsBundle = await startBundle("dist/chats.mjs", env);
  try {
    const direct = directTarget(standIn.url);
    const paths = [
      direct,
      quarryTarget(chatsBundle.url, token, chats, false),
      quarryTarget(chatsBundle.url, token, chats, true),
    ];

    await standIn.script({ reply: SHORT_REPLY, firstTokenDelayMs: FIRST_TOKEN_DELAY_MS });
    const rows: Record<string, string | number>[] = [];
    const addRows = (streams: string, results: { p50: number; p95: number }[], target?: string) => {
      const base = results[0]?.p95 ?? Number.NaN;
      results.forEach((result, i) => {
        const added = i === 0 ? "" : fmt(result.p95 - base);
        rows.push({
          streams,
          path: paths[i]?.name ?? "",
          "p50 ms": fmt(result.p50),
          "p95 ms": fmt(result.p95),
          "added p95 ms": target && i === 1 ? `${added} ${target}` : added,
        });
      });
    };
    /** One measurement per path, in turn (never two paths at once). */
    const eachPath = async (run: (path: Target) => Promise<{ p50: number; p95: number }>) => {
      const results = [];
      for (const path of paths) results.push(await run(path));
      return results;
    };
    addRows("1", await eachPath((path) => measure(path, 1, ROUNDS[1])));

    await standIn.script({
      reply: Array.from({ length: PACED_REPLY_TOKENS }, (_, i) => `word${i}`).join(" "),
      firstTokenDelayMs: FIRST_TOKEN_DELAY_MS,
      tokenDelayMs: PACED_TOKEN_DELAY_MS,
    });
    const answerMs = FIRST_TOKEN_DELAY_MS + PACED_TOKEN_DELAY_MS * (PACED_REPLY_TOKENS - 1);
    addRows(`${OPEN_STREAMS} open`, await eachPath((path) => measureOpen(path, answerMs)), "(target < 15)");

    await standIn.script({ reply: SHORT_REPLY, firstTokenDelayMs: FIRST_TOKEN_DELAY_MS });
    addRows("50 sent at once", await eachPath((path) => measure(path, 50, ROUNDS[50])));
    printTable(
      [
        `Time to first token (the model's first token comes after ${FIRST_TOKEN_DELAY_MS} ms). "50 open": 50 clients`,
        `each asking again as soon as its answer (${PACED_REPLY_TOKENS} tokens, one per ${PACED_TOKEN_DELAY_MS} ms) ends, so 50 streams are`,
        `always in flight. "50 sent at once": rounds of 50 requests arriving in the same millisecond.`,
      ].join(" "),
      rows,
    );

    const long = Array.from({ length: LONG_REPLY_TOKENS }, (_, i) => `t${i}`).join(" ");
    const throughput: Record<string, string | number>[] = [];
    for (const [label, delay] of [
      ["paced, 2 ms per token", 2],
      ["unpaced (as fast as the stand-in writes)", 0],
    ] as const) {
      await standIn.script({ reply: long, tokenDelayMs: delay });
      const base = await measure(direct, 1, 3);
      const through = await measure(paths[1] as Target, 1, 3);
      throughput.push({
        stream: label,
        "direct tok/s": fmt(base.tokensPerSecond, 0),
        "Quarry tok/s": fmt(through.tokensPerSecond, 0),
        ratio: `${fmt((through.tokensPerSecond / base.tokensPerSecond) * 100, 1)} %${delay > 0 ? " (target ≥ 95)" : ""}`,
      });
    }
    printTable(`Streaming throughput, one ${LONG_REPLY_TOKENS}-token answer at a time`, throughput);
  } finally {
    await chatsBundle.stop();
    standIn.process.kill("SIGTERM");
  }
}
