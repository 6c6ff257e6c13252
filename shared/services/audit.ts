import type { Kysely } from "kysely";
import type { DB } from "../../db/types.ts";
import type { Scope } from "../auth/principal.ts";

export interface AuditInput {
  action: string;
  targetType: string;
  targetId?: string | null;
  meta?: Record<string, unknown>;
}

/** Records an administrative action in the actor's tenant; call it inside the action's transaction. */
export async function recordAudit(db: Kysely<DB>, scope: Scope, input: AuditInput): Promise<void> {
  await db
    .insertInto("audit_log")
    .values({
      tenant_id: scope.tenantId,
      actor_id: scope.userId,
      action: input.action,
      target_type: input.targetType,
      target_id: input.targetId ?? null,
      meta: input.meta ?? {},
    })
    .execute();
}

/** Records an action done by no principal (the CLI, a job) in `tenantId`, with no actor. */
export async function recordSystemAudit(db: Kysely<DB>, tenantId: string, input: AuditInput): Promise<void> {
  await db
    .insertInto("audit_log")
    .values({
      tenant_id: tenantId,
      actor_id: null,
      action: input.action,
      target_type: input.targetType,
      target_id: input.targetId ?? null,
      meta: input.meta ?? {},
    })
    .execute();
}
