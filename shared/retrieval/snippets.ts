import { type Kysely, sql } from "kysely";
import type { DB } from "../../db/types.ts";
import { queryCte, type TextQuery } from "./lexical.ts";

/**
 * Snippets are HTML-safe fragments: the passage's text with `&`, `<` and `>` escaped and the terms the
 * full-text query matched wrapped in `<mark>…</mark>`. Chunks the text query matches get Postgres's
 * `ts_headline` (it knows the stemming of the text-search language) over the escaped text, with control
 * characters as markers that become `<mark>` afterwards; chunks found only by the vector list get the
 * window of the chunk sharing the most words with the query, without marks (nothing matched lexically).
 */
const MARK_OPEN = "\u0001";
const MARK_CLOSE = "\u0002";
const HEADLINE_OPTIONS = `StartSel="${MARK_OPEN}", StopSel="${MARK_CLOSE}", MaxWords=28, MinWords=12, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "`;
const WINDOW_WORDS = 40;

export interface PageRow {
  id: string;
  document_id: string;
  document_name: string;
  idx: number;
  page: number | null;
  /** ts_headline of the escaped text when the text query matches the chunk, else null. */
  headline: string | null;
  /** The chunk's text when the text query does not match it, else null. */
  text: string | null;
}

/** Document name, position and snippet material of the page's chunks (of the tenant), by chunk id. */
export async function pageRows(
  db: Kysely<DB>,
  query: TextQuery,
  chunkIds: string[],
): Promise<Map<string, PageRow>> {
  if (chunkIds.length === 0) return new Map();
  const escaped = sql`replace(replace(replace(translate(c.text, ${MARK_OPEN + MARK_CLOSE}, ''), '&', '&amp;'), '<', '&lt;'), '>', '&gt;')`;
  const { tenantId } = query;
  const matches = sql`(numnode(q.rank) > 0 and c.tsv @@ q.rank)`;
  const result = await sql<PageRow>`
    ${queryCte(query)}
    select c.id, c.document_id, d.name as document_name, c.idx, c.page,
           case when ${matches}
             then ts_headline(c.language, ${escaped}, q.rank, ${HEADLINE_OPTIONS}) end as headline,
           case when ${matches} then null else c.text end as text
    from q, chunks c
    join documents d on d.id = c.document_id
    where c.id = any(${chunkIds}::uuid[]) and c.tenant_id = ${tenantId} and d.tenant_id = ${tenantId}
  `.execute(db);
  return new Map(result.rows.map((row) => [row.id, row]));
}

export function snippetOf(row: PageRow, query: string): string {
  if (row.headline !== null) {
    return oneLine(row.headline).replaceAll(MARK_OPEN, "<mark>").replaceAll(MARK_CLOSE, "</mark>");
  }
  return escapeHtml(oneLine(bestWindow(row.text ?? "", query)));
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

function escapeHtml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

const WORD = /[\p{L}\p{N}\p{M}]+/gu;

/** Rough stem for matching query words to text words: lowercase, first five characters. */
function stem(word: string): string {
  return word.toLowerCase().slice(0, 5);
}

/** The run of WINDOW_WORDS words holding the most words that share a stem with a query word. */
function bestWindow(text: string, query: string): string {
  const wanted = new Set((query.match(WORD) ?? []).filter((w) => w.length > 2).map(stem));
  const words = [...text.matchAll(WORD)];
  if (words.length <= WINDOW_WORDS) return text;
  const hits = words.map((m) => (wanted.has(stem(m[0])) ? 1 : 0));
  let count = 0;
  for (let i = 0; i < WINDOW_WORDS; i++) count += hits[i] as number;
  let best = count;
  let bestStart = 0;
  for (let start = 1; start + WINDOW_WORDS <= words.length; start++) {
    count += (hits[start + WINDOW_WORDS - 1] as number) - (hits[start - 1] as number);
    if (count > best) {
      best = count;
      bestStart = start;
    }
  }
  const from = words[bestStart]?.index ?? 0;
  const last = words[bestStart + WINDOW_WORDS - 1];
  const to = last ? (last.index ?? 0) + last[0].length : text.length;
  const prefix = bestStart > 0 ? "… " : "";
  const suffix = to < text.length ? " …" : "";
  return `${prefix}${text.slice(from, to)}${suffix}`;
}
