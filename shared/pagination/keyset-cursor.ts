import { type RawBuilder, type SelectQueryBuilder, sql } from "kysely";
import { ApiError } from "../errors.ts";

/** A list position: the last row's `created_at` (microsecond ISO text, UTC) and id. */
export interface KeysetPosition {
  createdAt: string;
  id: string;
}

export interface Page<Row> {
  rows: Row[];
  nextCursor: string | null;
}

const MICROSECOND_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * `created_at` as text with all six fractional digits: a JS Date keeps only milliseconds, and a cursor
 * rounded to them would repeat or skip rows created within the same millisecond.
 */
export function cursorTimestamp(column: string): RawBuilder<string> {
  return sql<string>`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

/** Rows strictly after `position` in newest-first order `(created_at desc, id desc)`. */
export function afterPosition(
  createdAtColumn: string,
  idColumn: string,
  position: KeysetPosition,
): RawBuilder<boolean> {
  return sql<boolean>`(${sql.ref(createdAtColumn)}, ${sql.ref(idColumn)}) < (${position.createdAt}::timestamptz, ${position.id}::uuid)`;
}

export function encodeCursor(position: KeysetPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id])).toString("base64url");
}

/** The position an opaque cursor names; anything that is not one we issued is a 400. */
export function decodeCursor(cursor: string): KeysetPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    parsed = null;
  }
  if (
    Array.isArray(parsed) &&
    parsed.length === 2 &&
    typeof parsed[0] === "string" &&
    typeof parsed[1] === "string" &&
    MICROSECOND_ISO.test(parsed[0]) &&
    !Number.isNaN(Date.parse(parsed[0])) &&
    UUID.test(parsed[1])
  ) {
    return { createdAt: parsed[0], id: parsed[1] };
  }
  throw new ApiError("bad_request", "invalid cursor", { field: "cursor" });
}

/**
 * Rows fetched with `limit + 1` and their `cursor_ts` (`cursorTimestamp`): the extra row only tells whether
 * another page follows, and `cursor_ts` only makes the cursor, so neither is returned.
 */
export function toPage<Row extends { cursor_ts: string; id: string }>(
  rows: Row[],
  limit: number,
): Page<Omit<Row, "cursor_ts">> {
  const pageRows = rows.slice(0, limit);
  const last = pageRows.at(-1);
  const nextCursor =
    rows.length > limit && last ? encodeCursor({ createdAt: last.cursor_ts, id: last.id }) : null;
  return { rows: pageRows.map(({ cursor_ts: _position, ...row }) => row), nextCursor };
}

/**
 * One page of `query`, newest first by `(created_at, id)`, continuing after `page.cursor`: the one keyset
 * list every newest-first route uses. `columns` names the two columns when the query aliases its table.
 */
export async function newestFirstPage<DB, TB extends keyof DB, O extends { id: string }>(
  query: SelectQueryBuilder<DB, TB, O>,
  page: { cursor?: string; limit: number },
  columns: { createdAt: string; id: string } = { createdAt: "created_at", id: "id" },
): Promise<Page<O>> {
  let positioned = query.select(cursorTimestamp(columns.createdAt).as("cursor_ts"));
  if (page.cursor) {
    positioned = positioned.where(afterPosition(columns.createdAt, columns.id, decodeCursor(page.cursor)));
  }
  // Kysely cannot follow the added column through a generic row type: rows are O plus `cursor_ts`, and
  // toPage hands back O.
  const rows = (await positioned
    .orderBy(sql.ref(columns.createdAt), "desc")
    .orderBy(sql.ref(columns.id), "desc")
    .limit(page.limit + 1)
    .execute()) as unknown as Array<O & { cursor_ts: string }>;
  return toPage(rows, page.limit) as unknown as Page<O>;
}
