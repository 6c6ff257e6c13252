import { randomUUID } from "node:crypto";
import { cpus, loadavg } from "node:os";
import { sql } from "kysely";
import type { Scope } from "../shared/auth/principal.ts";
import type { ContentDeps } from "../shared/content-deps.ts";
import { vectorToBytes } from "../shared/embeddings/vector-bytes.ts";
import { searchChunks } from "../shared/retrieval/search.ts";
import type { SearchMode } from "../shared/retrieval/types.ts";
import { pointId } from "../shared/vectors/point-id.ts";
import { seededRandom } from "../tests/helpers/seeded-random.ts";
import { fmt, percentile, printTable } from "./lib/table.ts";
import { benchDeps } from "./retrieval/bench-deps.ts";

/**
 * Search latency of each mode at 10k and 100k chunks (a synthetic corpus written straight into a throwaway
 * database: Zipf-distributed words, the 40 most frequent being English stopwords), with the embedded
 * vector index and the built-in embedder; one tenant holds 10% of the chunks and is the one searched.
 * Timed in process (the service verb, snippets included), after warming the tenant's index matrix.
 */
const SIZES = [10_000, 100_000];
const TENANTS = 10;
const TARGET_SHARE = 0.1;
const CHUNKS_PER_DOCUMENT = 50;
const WORDS_PER_CHUNK = [60, 120] as const;
const VOCABULARY = 30_000;
const QUERIES_PER_MODE = 300;
const CONCURRENCY = 16;
const THROUGHPUT_SECONDS = 5;
const MODES: SearchMode[] = ["lexical", "vector", "hybrid"];
const INSERT_BATCH = 2_000;

const STOPWORDS = (
  "the of and to a in is it that for on as with was be by at this are or from an not but have which " +
  "they you he we all can their there been has were more"
).split(" ");

const SYLLABLES = "ka lo mi ne ru ta si vo de pa gu hi ze bo fa ly ro ke mu na".split(" ");

function vocabulary(): string[] {
  const words = [...STOPWORDS];
  for (let i = words.length; i < VOCABULARY; i++) {
    let n = i;
    let word = "";
    do {
      word += SYLLABLES[n % SYLLABLES.length];
      n = Math.floor(n / SYLLABLES.length);
    } while (n > 0);
    words.push(`${word}${i % 7 === 0 ? "s" : ""}`);
  }
  return words;
}

/** Draws word ranks with probability ∝ 1/rank (Zipf, s = 1) by binary search over the cumulative weights. */
function zipf(size: number, next: () => number): () => number {
  const cumulative = new Float64Array(size);
  let total = 0;
  for (let r = 0; r < size; r++) {
    total += 1 / (r + 1);
    cumulative[r] = total;
  }
  return () => {
    const target = next() * total;
    let low = 0;
    let high = size - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((cumulative[mid] as number) < target) low = mid + 1;
      else high = mid;
    }
    return low;
  };
}

interface Corpus {
  words: string[];
  rank: () => number;
  next: () => number;
  target: { tenantId: string; chunks: number };
  tenants: string[];
  total: number;
}

function sentence(corpus: Corpus, length: number): string {
  const out: string[] = [];
  for (let i = 0; i < length; i++) out.push(corpus.words[corpus.rank()] as string);
  return out.join(" ");
}

/** Adds documents of CHUNKS_PER_DOCUMENT chunks until the corpus holds `size` chunks, 10% of them the target's. */
async function grow(deps: ContentDeps, corpus: Corpus, size: number): Promise<void> {
  const model = deps.embedder.model;
  while (corpus.total < size) {
    const documents = Math.min(
      INSERT_BATCH / CHUNKS_PER_DOCUMENT,
      (size - corpus.total) / CHUNKS_PER_DOCUMENT,
    );
    const docRows: { id: string; tenant: string }[] = [];
    for (let d = 0; d < documents; d++) {
      const wantTarget = corpus.target.chunks < (corpus.total + d * CHUNKS_PER_DOCUMENT) * TARGET_SHARE;
      const others = corpus.tenants.slice(1);
      const tenant = wantTarget
        ? corpus.target.tenantId
        : (others[Math.floor(corpus.next() * others.length)] as string);
      docRows.push({ id: randomUUID(), tenant });
      if (wantTarget) corpus.target.chunks += CHUNKS_PER_DOCUMENT;
    }
    await deps.db
      .insertInto("documents")
      .values(
        docRows.map((doc, i) => ({
          id: doc.id,
          tenant_id: doc.tenant,
          name: `doc-${corpus.total / CHUNKS_PER_DOCUMENT + i}.txt`,
          status: "ready" as const,
          blob_key: `t/${doc.tenant}/uploads/${doc.id}`,
          tags: [`tag-${i % 5}`],
          embedding_model: model,
        })),
      )
      .execute();
    const chunks = docRows.flatMap((doc) =>
      Array.from({ length: CHUNKS_PER_DOCUMENT }, (_, idx) => {
        const [min, max] = WORDS_PER_CHUNK;
        const text = sentence(corpus, min + Math.floor(corpus.next() * (max - min)));
        return { id: randomUUID(), doc, idx, text, hash: `${doc.id}:${idx}` };
      }),
    );
    await sql`
      insert into chunks (id, document_id, tenant_id, idx, text, content_hash, token_count, language)
      select id, document_id, tenant_id, idx, text, content_hash, token_count, 'simple'::regconfig
      from unnest(${chunks.map((c) => c.id)}::uuid[], ${chunks.map((c) => c.doc.id)}::uuid[],
                  ${chunks.map((c) => c.doc.tenant)}::uuid[], ${chunks.map((c) => c.idx)}::int[],
                  ${chunks.map((c) => c.text)}::text[], ${chunks.map((c) => c.hash)}::text[],
                  ${chunks.map((c) => Math.ceil(c.text.length / 4))}::int[])
        as t(id, document_id, tenant_id, idx, text, content_hash, token_count)`.execute(deps.db);
    const vectors = await deps.embedder.embed(chunks.map((c) => c.text));
    await sql`
      insert into embeddings (model, content_hash, dims, vector)
      select ${model}, content_hash, ${deps.embedder.dims}, vector
      from unnest(${chunks.map((c) => c.hash)}::text[], ${vectors.map(vectorToBytes)}::bytea[])
        as t(content_hash, vector)`.execute(deps.db);
    await deps.vectorIndex.upsert(
      model,
      chunks.map((c) => ({
        id: pointId(c.doc.id, c.idx, model),
        tenantId: c.doc.tenant,
        documentId: c.doc.id,
        contentHash: c.hash,
        payload: { chunk_id: c.id, idx: c.idx, tags: [], page: null, model, version: 1 },
      })),
    );
    corpus.total += chunks.length;
  }
  // What autovacuum does after a bulk load: statistics, and the GIN index's pending list merged.
  await sql`vacuum analyze chunks, documents, embeddings, vector_points`.execute(deps.db);
}

/** A question-like query: 2–4 content words (Zipf-drawn, stopwords redrawn) among 0–2 stopwords. */
function query(corpus: Corpus): string {
  const words: string[] = [];
  const content = 2 + Math.floor(corpus.next() * 3);
  while (words.length < content) {
    const rank = corpus.rank();
    if (rank >= STOPWORDS.length) words.push(corpus.words[rank] as string);
  }
  const stopwords = Math.floor(corpus.next() * 3);
  for (let i = 0; i < stopwords; i++) {
    const at = Math.floor(corpus.next() * (words.length + 1));
    words.splice(at, 0, STOPWORDS[Math.floor(corpus.next() * STOPWORDS.length)] as string);
  }
  return words.join(" ");
}

async function timeMode(deps: ContentDeps, scope: Scope, corpus: Corpus, mode: SearchMode) {
  for (let i = 0; i < 20; i++)
    await searchChunks(deps, scope, { query: query(corpus), topK: 5, mode, mmr: false });
  const times: number[] = [];
  for (let i = 0; i < QUERIES_PER_MODE; i++) {
    const text = query(corpus);
    const started = performance.now();
    await searchChunks(deps, scope, { query: text, topK: 5, mode, mmr: false });
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b);
}

/** The floor every mode stands on: one database round trip, timed the same way. */
async function timeRoundTrip(deps: ContentDeps) {
  const times: number[] = [];
  for (let i = 0; i < QUERIES_PER_MODE; i++) {
    const started = performance.now();
    await sql`select 1`.execute(deps.db);
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b);
}

async function throughput(deps: ContentDeps, scope: Scope, corpus: Corpus) {
  const times: number[] = [];
  const deadline = performance.now() + THROUGHPUT_SECONDS * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < deadline) {
        const text = query(corpus);
        const at = performance.now();
        await searchChunks(deps, scope, { query: text, topK: 5, mode: "hybrid", mmr: false });
        times.push(performance.now() - at);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return { perSecond: times.length / seconds, sorted: times.sort((a, b) => a - b) };
}

export async function benchSearch(): Promise<void> {
  const deps = await benchDeps("quarry_bench_search", { DATABASE_POOL_MAX: String(CONCURRENCY + 4) });
  try {
    const tenants: string[] = [];
    for (let i = 0; i < TENANTS; i++) {
      const row = await deps.db
        .insertInto("tenants")
        .values({ slug: `bench-${i}`, name: `Bench ${i}` })
        .returning("id")
        .executeTakeFirstOrThrow();
      tenants.push(row.id);
    }
    const next = seededRandom(42);
    const corpus: Corpus = {
      words: vocabulary(),
      rank: zipf(VOCABULARY, next),
      next,
      target: { tenantId: tenants[0] as string, chunks: 0 },
      tenants,
      total: 0,
    };
    const scope: Scope = { tenantId: corpus.target.tenantId, userId: corpus.target.tenantId, role: "reader" };
    const latency: Record<string, string | number>[] = [];
    const load: Record<string, string | number>[] = [];
    for (const size of SIZES) {
      const started = performance.now();
      await grow(deps, corpus, size);
      const loadSeconds = (performance.now() - started) / 1000;
      const row = (mode: string, times: number[]) => ({
        chunks: size,
        "tenant chunks": corpus.target.chunks,
        mode,
        "p50 ms": fmt(percentile(times, 50), 2),
        "p95 ms": fmt(percentile(times, 95), 2),
        "p99 ms": fmt(percentile(times, 99), 2),
      });
      latency.push(row("(baseline: select 1)", await timeRoundTrip(deps)));
      for (const mode of MODES) latency.push(row(mode, await timeMode(deps, scope, corpus, mode)));
      const result = await throughput(deps, scope, corpus);
      load.push({
        chunks: size,
        "hybrid searches/s": fmt(result.perSecond, 0),
        "p50 ms": fmt(percentile(result.sorted, 50), 2),
        "p95 ms": fmt(percentile(result.sorted, 95), 2),
        "corpus grown in s": fmt(loadSeconds, 1),
      });
    }
    const machine = `${cpus().length} CPUs, load average ${loadavg()
      .map((value) => value.toFixed(1))
      .join(" / ")} at the end`;
    printTable(
      `Search latency, top_k 5, one search at a time: ${QUERIES_PER_MODE} queries per mode after 20 warm-up ` +
        `ones that also load the tenant's index matrix; chunks of ${WORDS_PER_CHUNK.join("–")} words; ` +
        `${machine}. Target: hybrid p95 < 25 ms at 100k`,
      latency,
    );
    printTable(`Throughput: ${CONCURRENCY} concurrent hybrid searches for ${THROUGHPUT_SECONDS} s`, load);
  } finally {
    await deps.close();
  }
}
