import type { Kysely } from "kysely";
import type { DB } from "../../db/types.ts";
import type { Scope } from "../auth/principal.ts";
import { ApiError } from "../errors.ts";
import { newestFirstPage } from "../pagination/keyset-cursor.ts";

export interface AuditFilters {
  action?: string;
  actorId?: string;
  targetType?: string;
  targetId?: string;
  /** Inclusive. */
  since?: Date;
  /** Exclusive. */
  until?: Date;
}

export interface AuditListInput {
  filters: AuditFilters;
  /** 1..100 */
  limit: number;
  cursor?: string;
}

export interface AuditEntry {
  id: string;
  actorId: string | null;
  actorLogin: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  meta: Record<string, unknown>;
  createdAt: Date;
}

/** A page of the caller's tenant's audit log, newest first; only tenant admins read it. */
export async function listAuditEntries(
  db: Kysely<DB>,
  scope: Scope,
  input: AuditListInput,
): Promise<{ items: AuditEntry[]; nextCursor: string | null }> {
  if (scope.role !== "admin") throw new ApiError("forbidden", "reading the audit log needs the admin role");
  const { filters } = input;
  let query = db
    .selectFrom("audit_log as a")
    .leftJoin("users as u", (join) =>
      join.onRef("u.id", "=", "a.actor_id").onRef("u.tenant_id", "=", "a.tenant_id"),
    )
    .select([
      "a.id",
      "a.actor_id",
      "u.login as actor_login",
      "a.action",
      "a.target_type",
      "a.target_id",
      "a.meta",
      "a.created_at",
    ])
    .where("a.tenant_id", "=", scope.tenantId);
  if (filters.action !== undefined) query = query.where("a.action", "=", filters.action);
  if (filters.actorId !== undefined) query = query.where("a.actor_id", "=", filters.actorId);
  if (filters.targetType !== undefined) query = query.where("a.target_type", "=", filters.targetType);
  if (filters.targetId !== undefined) query = query.where("a.target_id", "=", filters.targetId);
  if (filters.since !== undefined) query = query.where("a.created_at", ">=", filters.since);
  if (filters.until !== undefined) query = query.where("a.created_at", "<", filters.until);
  const page = await newestFirstPage(query, input, { createdAt: "a.created_at", id: "a.id" });
  return {
    items: page.rows.map((row) => ({
      id: row.id,
      actorId: row.actor_id,
      actorLogin: row.actor_login,
      action: row.action,
      targetType: row.target_type,
      targetId: row.target_id,
      meta: row.meta,
      createdAt: row.created_at,
    })),
    nextCursor: page.nextCursor,
  };
}
