import { type Kysely, type RawBuilder, sql } from "kysely";
import type { DB } from "../../db/types.ts";
import { commonWords } from "./common-words.ts";
import type { Candidate, SearchFilter } from "./types.ts";

/** Web-search syntax: a quoted phrase, or OR (in capitals, as search engines write it) between words. */
const OPERATORS = /"|\sOR\s/;

/**
 * Stopwords of the languages Quarry's users write most (English, Russian), as Postgres's snowball
 * dictionaries know them: left out of an any-word query, or with the `simple` configuration (which keeps
 * every word) "the" and "и" would match, and rank, almost every chunk.
 */
const STOPWORD_DICTIONARIES = ["english_stem", "russian_stem"];

/** Chunks ranked with the cheap ts_rank before the best of them are ranked with ts_rank_cd and coverage. */
const PREFILTER_FACTOR = 2;

export interface TextQuery {
  tenantId: string;
  /** TEXT_SEARCH_LANGUAGE: the language of tenants without their own. */
  globalLanguage: string;
  text: string;
  /** Words too common to make a chunk match (common-words.ts). */
  common: string[];
}

/** The search text and what parsing it in SQL needs (the corpus's common words are cached per process). */
export async function textQuery(
  db: Kysely<DB>,
  tenantId: string,
  globalLanguage: string,
  text: string,
): Promise<TextQuery> {
  return { tenantId, globalLanguage, text, common: [...(await commonWords(db))] };
}

/**
 * A `with` clause defining `q(rank tsquery, match tsquery, lexemes text[])` for the search text, so that
 * parsing it costs no round trip of its own.
 *
 * The text is parsed in the tenant's text-search language and, when it differs, also in the global
 * default (chunks stored before the tenant changed its language still match). A plain query matches
 * chunks holding ANY of its content words (stopwords left out, unless it has nothing else): requiring all
 * of them fails most questions ("how do I …"); the rank puts chunks holding more of them first. Common
 * words rank but do not make a chunk match when the query has rarer ones; a query of common words only
 * matches chunks holding all of them (any one would match most chunks). A query with a quoted phrase or
 * OR goes through `websearch_to_tsquery` as written (quotes, OR and -not honoured, other words required).
 * `lexemes` are the query's content words, for the coverage factor of the rank.
 */
export function queryCte(query: TextQuery): RawBuilder<unknown> {
  const { tenantId, globalLanguage, text, common } = query;
  const content = sql.join(
    STOPWORD_DICTIONARIES.map((dictionary) => sql`ts_lexize(${dictionary}::regdictionary, lexeme) <> '{}'`),
    sql` and `,
  );
  // A lexeme as tsquery text: backslashes and quotes escaped, inside single quotes.
  const quoted = sql`'''' || replace(replace(lexeme, '\\', '\\\\'), '''', '''''') || ''''`;
  const anyOf = (where: RawBuilder<unknown>) =>
    sql`(select string_agg(${quoted}, ' | ') from kept where ${where})`;
  const parsed = OPERATORS.test(text)
    ? sql`(select websearch_to_tsquery(tenant_cfg, ${text}) || case when tenant_cfg = global_cfg
             then ''::tsquery else websearch_to_tsquery(global_cfg, ${text}) end from cfg)`
    : null;
  const rank = parsed ?? sql`coalesce(${anyOf(sql`true`)}, '')::tsquery`;
  const allOf = sql`(select string_agg(${quoted}, ' & ') from kept)`;
  const match =
    parsed ?? sql`coalesce(${anyOf(sql`lexeme <> all(${common}::text[])`)}, ${allOf}, '')::tsquery`;
  return sql`
    with cfg as (
      select coalesce((select text_search_language from tenants where id = ${tenantId}),
                      ${globalLanguage})::regconfig as tenant_cfg,
             ${globalLanguage}::regconfig as global_cfg
    ),
    words as (
      select distinct lexeme, ${content} as content
      from cfg, unnest(tsvector_to_array(to_tsvector(tenant_cfg, ${text}))
                       || tsvector_to_array(to_tsvector(global_cfg, ${text}))) lexeme
    ),
    kept as (select lexeme from words where content or not exists (select 1 from words where content)),
    q as materialized (
      select ${rank} as rank, ${match} as match, array(select lexeme from kept) as lexemes
    )`;
}

/**
 * Chunks of ready documents matching the query (GIN index on `tsv`), best first, ties by chunk id. Every
 * match is ranked with the cheap ts_rank; the best PREFILTER_FACTOR × limit of them are ranked again with
 * ts_rank_cd (cover density, length-normalised, mapped to [0, 1)) times the share of the query's words the
 * chunk holds: without that factor a chunk repeating one query word outranks the chunk holding them all.
 */
export async function lexicalCandidates(
  db: Kysely<DB>,
  filter: SearchFilter,
  query: TextQuery,
  limit: number,
  minScore?: number,
): Promise<Candidate[]> {
  if (filter.documentIds?.length === 0 || filter.tags?.length === 0) return [];
  const byDocument = filter.documentIds ? sql`and c.document_id = any(${filter.documentIds}::uuid[])` : sql``;
  const byTags = filter.tags ? sql`and tags && ${filter.tags}::text[]` : sql``;
  const result = await sql<{ id: string; document_id: string; content_hash: string; score: number }>`
    ${queryCte(query)}
    select id, document_id, content_hash,
           ts_rank_cd(tsv, q.rank, 33) * (length(tsv) - length(ts_delete(tsv, q.lexemes)))
             / greatest(cardinality(q.lexemes), 1) as score
    from q, (
      select c.id, c.document_id, c.content_hash, c.tsv
      from q, chunks c
      where c.tenant_id = ${filter.tenantId} and c.tsv @@ q.match ${byDocument}
        and c.document_id in (
          select id from documents where tenant_id = ${filter.tenantId} and status = 'ready' ${byTags})
      order by ts_rank(c.tsv, q.rank) desc, c.id
      limit ${limit * PREFILTER_FACTOR}
    ) matched
    order by score desc, id
    limit ${limit}
  `.execute(db);
  const floor = minScore ?? Number.NEGATIVE_INFINITY;
  return result.rows
    .filter((row) => row.score >= floor)
    .map((row) => ({
      chunkId: row.id,
      documentId: row.document_id,
      contentHash: row.content_hash,
      score: row.score,
    }));
}
