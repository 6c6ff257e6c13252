import { sql } from "kysely";
import type { Document } from "../db/types.ts";
import { startWorker } from "../jobs/worker.ts";
import type { Scope } from "../shared/auth/principal.ts";
import { loadConfig } from "../shared/config/index.ts";
import type { ContentDeps } from "../shared/content-deps.ts";
import { deleteDocument } from "../shared/documents/service.ts";
import { acceptUpload, beginDocument } from "../shared/documents/upload.ts";
import type { Embedder } from "../shared/embeddings/port.ts";
import { chunkDocument } from "../shared/text/chunk.ts";
import { seededRandom } from "../tests/helpers/seeded-random.ts";
import { fmt, percentile, printTable } from "./lib/table.ts";
import { benchDeps } from "./retrieval/bench-deps.ts";

/**
 * Ingest of a ~10 MB text corpus with the built-in embedder, one document and one job at a time
 * (WORKER_CONCURRENCY=1, so embedder time is a part of the pipeline's time): MB/s, chunks/s, pipeline
 * overhead (pipeline time not spent inside the embedder, as a share of embedder time), stage hand-off
 * latency, then the same corpus again; last, the whole corpus uploaded at once to a worker at its default
 * concurrency.
 */
const DOCUMENTS = 20;
const BYTES_PER_DOCUMENT = 512 * 1024;
const WORDS = (
  "quarry index chunk vector search answer cite upload tenant worker stage model token embed retrieve " +
  "paragraph section heading document policy report meeting budget schedule customer release network " +
  "storage backup restore latency throughput request response error retry queue cache memory disk"
).split(" ");

/** Markdown-ish text: headings and paragraphs of sentences, deterministic per document. */
function documentText(index: number): string {
  const next = seededRandom(index + 1);
  const parts: string[] = [];
  let size = 0;
  let section = 0;
  while (size < BYTES_PER_DOCUMENT) {
    if (next() < 0.08) {
      section += 1;
      parts.push(`## Section ${index}.${section}`);
    }
    const sentences = Array.from({ length: 3 + Math.floor(next() * 5) }, () => {
      const words = Array.from(
        { length: 6 + Math.floor(next() * 14) },
        () => WORDS[Math.floor(next() * WORDS.length)],
      );
      return `${words.join(" ")} ${Math.floor(next() * 100_000)}.`;
    });
    const paragraph = sentences.join(" ");
    parts.push(paragraph);
    size += paragraph.length + 2;
  }
  return parts.join("\n\n");
}

/** Counts calls and time spent inside the embedder. */
function timedEmbedder(inner: Embedder) {
  const stats = { calls: 0, texts: 0, ms: 0 };
  const embedder: Embedder = {
    kind: inner.kind,
    model: inner.model,
    dims: inner.dims,
    semantic: inner.semantic,
    async embed(texts, signal) {
      const started = performance.now();
      try {
        return await inner.embed(texts, signal);
      } finally {
        stats.calls += 1;
        stats.texts += texts.length;
        stats.ms += performance.now() - started;
      }
    },
  };
  return { embedder, stats };
}

async function waitUntil(done: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 15 * 60_000;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error("ingest did not finish within 15 minutes");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Stores one document and queues it, as an upload does. */
async function uploadDocument(deps: ContentDeps, scope: Scope, text: string, index: number): Promise<string> {
  const document = await beginDocument(deps.db, scope, {
    name: `corpus-${index}.md`,
    tags: [],
    expiresAt: new Date(Date.now() + 3_600_000),
  });
  const stored = await deps.blobStore.put(document.blob_key, Buffer.from(text));
  const accepted = await acceptUpload(
    deps.db,
    scope,
    document.id,
    { sizeBytes: stored.size, sha256: stored.sha256 },
    3,
  );
  if (accepted.kind !== "accepted") throw new Error("unexpected duplicate in the bench corpus");
  return document.id;
}

async function waitUntilReady(deps: ContentDeps, ids: string[]): Promise<void> {
  await waitUntil(async () => {
    const rows = await deps.db
      .selectFrom("documents")
      .select(["status", "error"])
      .where("id", "in", ids)
      .execute();
    const failed = rows.find((row) => row.status === "failed");
    if (failed) throw new Error(`ingest failed: ${failed.error}`);
    return rows.every((row) => row.status === "ready");
  });
}

/** Uploads the documents one after the other, each once the previous is ready (so no job waits in a queue). */
async function ingestOneByOne(deps: ContentDeps, scope: Scope, texts: string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const [index, text] of texts.entries()) {
    ids.push(await uploadDocument(deps, scope, text, index));
    await waitUntilReady(deps, ids.slice(-1));
  }
  return ids;
}

async function deleteCorpus(deps: ContentDeps, scope: Scope, ids: string[]): Promise<void> {
  for (const id of ids) await deleteDocument(deps.db, scope, id);
  await waitUntil(
    async () => (await deps.db.selectFrom("documents").select("id").limit(1).execute()).length === 0,
  );
}

type StageTimestamps = Document["stage_timestamps"];

async function stageTimestampsOf(deps: ContentDeps, ids: string[]): Promise<StageTimestamps[]> {
  const rows = await deps.db
    .selectFrom("documents")
    .select("stage_timestamps")
    .where("id", "in", ids)
    .execute();
  return rows.map((row) => row.stage_timestamps);
}

/**
 * Per stage, the summed time from its start to its end over every document; `pipeline` is the summed
 * time from the first stage's start to the last one's end (upload and the bench's polling excluded).
 */
function stageTotals(documents: StageTimestamps[]): Record<string, number> {
  const totals: Record<string, number> = { pipeline: 0 };
  for (const stamps of documents) {
    for (const [stage, { started_at, ended_at }] of Object.entries(stamps)) {
      if (started_at && ended_at)
        totals[stage] = (totals[stage] ?? 0) + Date.parse(ended_at) - Date.parse(started_at);
    }
    const { extract, index } = stamps;
    if (extract?.started_at && index?.ended_at) {
      totals.pipeline = (totals.pipeline ?? 0) + Date.parse(index.ended_at) - Date.parse(extract.started_at);
    }
  }
  return totals;
}

/**
 * Two pieces of work the pipeline cannot skip, timed alone on the same corpus: Postgres building the
 * chunks' `tsvector` (DESIGN §4's generated column, what lexical search reads) and cutting the texts into
 * chunks. Together they bound how low the overhead can go with this embedder.
 */
async function unavoidableWork(deps: ContentDeps, texts: string[]) {
  let started = performance.now();
  await sql`select sum(length(to_tsvector(language, text))) from chunks`.execute(deps.db);
  const tsvectorMs = performance.now() - started;
  started = performance.now();
  const options = {
    maxTokens: deps.config.CHUNK_MAX_TOKENS,
    overlapTokens: deps.config.CHUNK_OVERLAP_TOKENS,
  };
  for (const text of texts) chunkDocument({ text, pages: [], title: null }, options);
  const chunkingMs = performance.now() - started;
  return { tsvectorMs, chunkingMs };
}

function handOffLatencies(documents: StageTimestamps[]): number[] {
  const stages = ["extract", "chunk", "embed", "index"];
  const gaps: number[] = [];
  for (const stamps of documents) {
    for (let i = 1; i < stages.length; i++) {
      const ended = stamps[stages[i - 1] as string]?.ended_at;
      const started = stamps[stages[i] as string]?.started_at;
      if (ended && started) gaps.push(Date.parse(started) - Date.parse(ended));
    }
  }
  return gaps.sort((a, b) => a - b);
}

export async function benchIngest(): Promise<void> {
  const base = await benchDeps("quarry_bench_ingest", { WORKER_CONCURRENCY: "1", LOG_LEVEL: "error" });
  const timed = timedEmbedder(base.embedder);
  const deps: ContentDeps = { ...base, embedder: timed.embedder };
  const tenant = await deps.db
    .insertInto("tenants")
    .values({ slug: "bench", name: "Bench" })
    .returning("id")
    .executeTakeFirstOrThrow();
  const scope: Scope = {
    tenantId: tenant.id,
    userId: "00000000-0000-0000-0000-000000000000",
    role: "editor",
  };
  const texts = Array.from({ length: DOCUMENTS }, (_, index) => documentText(index));
  const megabytes = texts.reduce((sum, text) => sum + Buffer.byteLength(text), 0) / (1024 * 1024);
  let worker = await startWorker(deps);
  // The worker's default concurrency, as a deployment runs it.
  const atOnceJobs = loadConfig({}).WORKER_CONCURRENCY;
  try {
    const started = performance.now();
    const ids = await ingestOneByOne(deps, scope, texts);
    const wallMs = performance.now() - started;
    const chunks = await deps.db
      .selectFrom("chunks")
      .select(sql<number>`count(*)::int`.as("n"))
      .executeTakeFirstOrThrow();
    const first = { ...timed.stats };
    const stamps = await stageTimestampsOf(deps, ids);
    const gaps = handOffLatencies(stamps);
    const totals = stageTotals(stamps);
    const floor = await unavoidableWork(deps, texts);

    await deleteCorpus(deps, scope, ids);
    const before = { ...timed.stats };
    const againStarted = performance.now();
    const againIds = await ingestOneByOne(deps, scope, texts);
    const againMs = performance.now() - againStarted;
    const reingestCalls = timed.stats.calls - before.calls;

    // How a team drops a corpus in: every file at once, the worker at its default concurrency, and
    // nothing embedded yet.
    await deleteCorpus(deps, scope, againIds);
    await deps.db.deleteFrom("embeddings").execute();
    await worker.stop();
    worker = await startWorker({ ...deps, config: { ...deps.config, WORKER_CONCURRENCY: atOnceJobs } });
    const callsBeforeAtOnce = timed.stats.calls;
    const atOnceStarted = performance.now();
    const atOnceIds = await Promise.all(texts.map((text, index) => uploadDocument(deps, scope, text, index)));
    await waitUntilReady(deps, atOnceIds);
    const atOnceMs = performance.now() - atOnceStarted;
    if (timed.stats.calls === callsBeforeAtOnce)
      throw new Error("the corpus uploaded at once embedded nothing");

    const ofEmbedderTime = (ms: number) => `${fmt((ms / first.ms) * 100)} %`;
    printTable(
      `Ingest of ${fmt(megabytes)} MB of text (${DOCUMENTS} documents, built-in embedder, 1 job at a time)`,
      [
        { measure: "wall time", value: `${fmt(wallMs / 1000, 2)} s` },
        { measure: "throughput", value: `${fmt(megabytes / (wallMs / 1000), 2)} MB/s` },
        { measure: "chunks", value: `${chunks.n} (${fmt(chunks.n / (wallMs / 1000), 0)} chunks/s)` },
        {
          measure: "time inside the embedder",
          value: `${fmt(first.ms / 1000, 2)} s (${first.calls} calls, ${first.texts} texts)`,
        },
        {
          measure: "pipeline overhead / embedder time (target < 15%)",
          value: ofEmbedderTime((totals.pipeline ?? 0) - first.ms),
        },
        {
          measure: "of which unavoidable: Postgres building the chunks' tsvector alone",
          value: `${fmt(floor.tsvectorMs / 1000, 2)} s (${ofEmbedderTime(floor.tsvectorMs)} of embedder time)`,
        },
        {
          measure: "of which unavoidable: cutting the texts into chunks alone",
          value: `${fmt(floor.chunkingMs / 1000, 2)} s (${ofEmbedderTime(floor.chunkingMs)} of embedder time)`,
        },
        {
          measure: "stage hand-off p50 / p95 (target p50 < 10 ms)",
          value: `${fmt(percentile(gaps, 50))} / ${fmt(percentile(gaps, 95))} ms`,
        },
        ...Object.entries(totals).map(([stage, ms]) => ({
          measure: `${stage === "pipeline" ? "first stage start → ready" : `stage ${stage}`}, summed over documents`,
          value: `${fmt(ms / 1000, 2)} s`,
        })),
        {
          measure: "re-ingest of the same corpus: embedder calls (target 0)",
          value: String(reingestCalls),
        },
        { measure: "re-ingest wall time", value: `${fmt(againMs / 1000, 2)} s` },
        {
          measure: `whole corpus uploaded at once, ${atOnceJobs} jobs at a time: wall time`,
          value: `${fmt(atOnceMs / 1000, 2)} s (${fmt(megabytes / (atOnceMs / 1000), 2)} MB/s)`,
        },
        {
          // The embedder does the same work as in the first run; timed here it would also count the
          // other jobs' work that runs while it yields to the event loop.
          measure: "  … wall time beyond the embedder's own time (first run) / that time",
          value: ofEmbedderTime(atOnceMs - first.ms),
        },
      ],
    );
  } finally {
    await worker.stop();
    await deps.close();
  }
}
