import { type Kysely, sql } from "kysely";
import type { DB } from "../../db/types.ts";

/**
 * Words in more than COMMON_SHARE of all chunks, from Postgres's own statistics of `chunks.tsv`
 * (pg_stats.most_common_elems, kept by ANALYZE / autovacuum), so a plain query does not pull a large part
 * of the tenant's chunks into ranking for a word that says little about relevance. Only from
 * MIN_CHUNKS chunks on: below that, ranking every match is cheap and a smaller corpus's statistics are
 * too coarse to drop words on. Loaded per database handle and refreshed in the background once
 * REFRESH_MS old; empty when the statistics are missing or cannot be read.
 */
const COMMON_SHARE = 0.05;
const MIN_CHUNKS = 50_000;
const REFRESH_MS = 5 * 60_000;

interface Entry {
  loadedAt: number;
  words: Set<string>;
  loading: Promise<void> | null;
}

const entries = new WeakMap<object, Entry>();

async function load(db: Kysely<DB>): Promise<Set<string>> {
  try {
    const result = await sql<{ lexeme: string }>`
      select s.lexeme
      from pg_stats p, unnest(p.most_common_elems::text::text[], p.most_common_elem_freqs) s(lexeme, share)
      where p.schemaname = current_schema() and p.tablename = 'chunks' and p.attname = 'tsv'
        and s.lexeme is not null and s.share > ${COMMON_SHARE}
        and (select reltuples from pg_class where oid = to_regclass('chunks')) >= ${MIN_CHUNKS}
    `.execute(db);
    return new Set(result.rows.map((row) => row.lexeme));
  } catch {
    return new Set();
  }
}

export async function commonWords(db: Kysely<DB>): Promise<Set<string>> {
  const now = Date.now();
  const entry = entries.get(db);
  if (!entry) {
    const words = await load(db);
    entries.set(db, { loadedAt: now, words, loading: null });
    return words;
  }
  if (now - entry.loadedAt >= REFRESH_MS && !entry.loading) {
    entry.loading = load(db).then((words) => {
      entry.words = words;
      entry.loadedAt = Date.now();
      entry.loading = null;
    });
  }
  return entry.words;
}
