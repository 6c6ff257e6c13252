import { createHash } from "node:crypto";
import { type Kysely, sql } from "kysely";
import type { DB } from "../../db/types.ts";
import type { Scope } from "../auth/principal.ts";
import type { Citation } from "./citations.ts";

/** What a cache hit answers with. */
export interface CachedAnswer {
  content: string;
  citations: Citation[];
  model: string;
  finish_reason: string;
  usage: { tokens_in: number; tokens_out: number };
}

export interface AnswerKeyParts {
  tenantId: string;
  question: string;
  model: string;
  promptVersion: string;
  /** The retrieved chunks, in rank order (their numbering is part of the answer). */
  chunkIds: string[];
}

/** Case, spacing and trailing punctuation do not make a different question. */
export function normalizeQuestion(question: string): string {
  return question
    .normalize("NFKC")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim()
    .replace(/[\s?!.。？！]+$/u, "");
}

export function answerCacheKey(parts: AnswerKeyParts): string {
  const chunks = createHash("sha256").update(parts.chunkIds.join(",")).digest("hex");
  return createHash("sha256")
    .update(
      JSON.stringify([
        parts.tenantId,
        normalizeQuestion(parts.question),
        parts.model,
        parts.promptVersion,
        chunks,
      ]),
    )
    .digest("hex");
}

export async function readCachedAnswer(
  db: Kysely<DB>,
  scope: Scope,
  key: string,
): Promise<CachedAnswer | null> {
  const row = await db
    .selectFrom("answer_cache")
    .select("response")
    .where("key", "=", key)
    .where("tenant_id", "=", scope.tenantId)
    .where("expires_at", ">", new Date())
    .executeTakeFirst();
  return row ? (row.response as unknown as CachedAnswer) : null;
}

export async function storeCachedAnswer(
  db: Kysely<DB>,
  scope: Scope,
  entry: { key: string; documentIds: string[]; answer: CachedAnswer; ttlSeconds: number },
): Promise<void> {
  const expiresAt = new Date(Date.now() + entry.ttlSeconds * 1000);
  const documentIds = [...new Set(entry.documentIds)];
  await db
    .insertInto("answer_cache")
    .values({
      key: entry.key,
      tenant_id: scope.tenantId,
      document_ids: documentIds,
      response: entry.answer as unknown as Record<string, unknown>,
      expires_at: expiresAt,
    })
    .onConflict((oc) =>
      oc.column("key").doUpdateSet({
        document_ids: documentIds,
        response: entry.answer as unknown as Record<string, unknown>,
        expires_at: expiresAt,
      }),
    )
    .execute();
}

/**
 * Drops every cached answer built on the document. Called when the document becomes ready again
 * (re-ingested, reindexed) and when it is deleted; returns how many entries went.
 */
export async function invalidateAnswersForDocument(db: Kysely<DB>, documentId: string): Promise<number> {
  const result = await db
    .deleteFrom("answer_cache")
    .where(sql<boolean>`document_ids @> array[${documentId}]::uuid[]`)
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Removes entries past their expiry (reads already skip them); run by maintenance. */
export async function purgeExpiredAnswers(db: Kysely<DB>): Promise<number> {
  const result = await db.deleteFrom("answer_cache").where("expires_at", "<", new Date()).executeTakeFirst();
  return Number(result.numDeletedRows);
}
