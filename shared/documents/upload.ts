import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import { isPgError, PG_ERROR } from "../../db/pg-errors.ts";
import type { DB, Document } from "../../db/types.ts";
import type { Scope } from "../auth/principal.ts";
import { blobKey, parseBlobKey } from "../blob/index.ts";
import { closeUploadJobKey, documentJobKey } from "../queue/catalog.ts";
import { enqueue } from "../queue/enqueue.ts";

/**
 * Where a signed PUT URL writes, beside the document's own blob: `complete` moves the bytes to the blob,
 * so a PUT that comes later (the URL is valid until it expires) cannot change an accepted document.
 */
export function signedUploadKey(document: Pick<Document, "tenant_id" | "id">): string {
  return blobKey(document.tenant_id, "uploads", document.id, "incoming");
}

/**
 * Whether a signed PUT to `key` may still write: the document it was made for waits for its bytes. (A URL
 * signed before uploads moved to `signedUploadKey` names the document's blob itself; `complete` takes both.)
 */
export async function awaitsSignedUpload(db: Kysely<DB>, key: string): Promise<boolean> {
  const { tenantId, kind, id } = parseBlobKey(key);
  if (kind !== "uploads") return false;
  const document = await db
    .selectFrom("documents")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("id", "=", id)
    .where("status", "=", "uploading")
    .executeTakeFirst();
  return document !== undefined;
}

export interface NewDocument {
  name: string;
  tags: string[];
  /** When an upload that never completes is expired by maintenance. */
  expiresAt: Date;
  /** A presigned upload's size as the client declared it, if it did. */
  declaredSize?: number;
}

/** A row in `uploading` whose blob key is fixed before any byte arrives (so a crash leaves a traceable row). */
export async function beginDocument(db: Kysely<DB>, scope: Scope, input: NewDocument): Promise<Document> {
  const id = randomUUID();
  return db
    .insertInto("documents")
    .values({
      id,
      tenant_id: scope.tenantId,
      name: input.name,
      tags: input.tags,
      status: "uploading",
      blob_key: blobKey(scope.tenantId, "uploads", id),
      uploaded_by: scope.userId,
      upload_expires_at: input.expiresAt,
      declared_size_bytes: input.declaredSize ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Past its URL's expiry by this much, no PUT can still arrive, even by an S3 server whose clock is ahead. */
const CLOSE_AFTER_EXPIRY_MS = 60_000;

/**
 * `beginDocument` for a presigned upload, with the job that sweeps the signed key once the URL has
 * expired (`ingest:close-upload`).
 */
export async function beginSignedUpload(db: Kysely<DB>, scope: Scope, input: NewDocument): Promise<Document> {
  return db.transaction().execute(async (trx) => {
    const document = await beginDocument(trx, scope, input);
    await enqueue(
      trx,
      "ingest:close-upload",
      { documentId: document.id, tenantId: scope.tenantId },
      {
        jobKey: closeUploadJobKey(document.id),
        runAt: new Date(input.expiresAt.getTime() + CLOSE_AFTER_EXPIRY_MS),
      },
    );
    return document;
  });
}

export type AcceptResult =
  | { kind: "accepted"; document: Document }
  | { kind: "duplicate"; existing: Document };

async function liveDocumentWithContent(db: Kysely<DB>, scope: Scope, contentHash: string, exceptId: string) {
  return db
    .selectFrom("documents")
    .selectAll()
    .where("tenant_id", "=", scope.tenantId)
    .where("content_hash", "=", contentHash)
    .where("id", "!=", exceptId)
    .where("status", "not in", ["deleting", "canceled", "failed"])
    .executeTakeFirst();
}

/**
 * The bytes are stored: queue the document for ingestion, in one transaction with its first job.
 * Identical content already live in the tenant is a duplicate: this row is dropped and the existing
 * document returned (the caller removes the blob).
 */
export async function acceptUpload(
  db: Kysely<DB>,
  scope: Scope,
  id: string,
  stored: { sizeBytes: number; sha256: string },
  maxAttempts: number,
): Promise<AcceptResult> {
  try {
    return await db.transaction().execute(async (trx) => {
      const existing = await liveDocumentWithContent(trx, scope, stored.sha256, id);
      if (existing) {
        await trx
          .deleteFrom("documents")
          .where("id", "=", id)
          .where("tenant_id", "=", scope.tenantId)
          .execute();
        return { kind: "duplicate", existing } as const;
      }
      const document = await trx
        .updateTable("documents")
        .set({
          status: "queued",
          size_bytes: stored.sizeBytes,
          content_hash: stored.sha256,
          upload_expires_at: null,
          updated_at: new Date(),
        })
        .where("id", "=", id)
        .where("tenant_id", "=", scope.tenantId)
        .where("status", "=", "uploading")
        .returningAll()
        .executeTakeFirst();
      if (!document) throw new Error(`document ${id} is no longer uploading`);
      await enqueue(
        trx,
        "ingest:extract",
        { documentId: id, tenantId: scope.tenantId },
        { jobKey: documentJobKey(id), maxAttempts },
      );
      return { kind: "accepted", document } as const;
    });
  } catch (error) {
    if (!isPgError(error, PG_ERROR.uniqueViolation)) throw error;
    // Lost a race with an identical upload that committed first.
    const existing = await liveDocumentWithContent(db, scope, stored.sha256, id);
    await db.deleteFrom("documents").where("id", "=", id).where("tenant_id", "=", scope.tenantId).execute();
    if (!existing) throw error;
    return { kind: "duplicate", existing };
  }
}

/** Drops a row whose upload failed before it was accepted (the caller removes any blob). */
export async function discardUpload(db: Kysely<DB>, scope: Scope, id: string): Promise<void> {
  await db
    .deleteFrom("documents")
    .where("id", "=", id)
    .where("tenant_id", "=", scope.tenantId)
    .where("status", "=", "uploading")
    .execute();
}
