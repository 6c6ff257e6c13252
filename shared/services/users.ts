import type { Kysely, Transaction } from "kysely";
import { isPgError, PG_ERROR } from "../../db/pg-errors.ts";
import type { DB, Role } from "../../db/types.ts";
import { hashPassword, verifyPassword } from "../auth/passwords.ts";
import type { Scope } from "../auth/principal.ts";
import { ApiError, notFound } from "../errors.ts";
import { newestFirstPage, type Page } from "../pagination/keyset-cursor.ts";
import { recordAudit } from "./audit.ts";
import { revokeUserRefreshTokens } from "./refresh-tokens.ts";

export interface SessionUser {
  id: string;
  login: string;
  full_name: string;
  role: Role;
  is_platform_admin: boolean;
  token_version: number;
  created_at: Date;
  tenant: { id: string; slug: string; name: string };
}

export interface TenantUser {
  id: string;
  login: string;
  full_name: string;
  role: Role;
  is_active: boolean;
  is_platform_admin: boolean;
  created_at: Date;
  updated_at: Date;
}

/**
 * Verified against when the login does not exist, so an unknown login costs the same scrypt work as a
 * wrong password (the salt and hash are arbitrary: no password matches them).
 */
function dummyHash(logN: number): string {
  return `scrypt$${logN}$8$1$AAAAAAAAAAAAAAAAAAAAAA$${"A".repeat(43)}`;
}

/** User administration is for the tenant's admins, whoever calls the verb (HTTP route or CLI). */
function assertAdmin(scope: Scope): void {
  if (scope.role !== "admin") throw new ApiError("forbidden", "this action needs the admin role");
}

const USER_COLUMNS = [
  "id",
  "login",
  "full_name",
  "role",
  "is_active",
  "is_platform_admin",
  "created_at",
  "updated_at",
] as const;

function sessionUsers(db: Kysely<DB>) {
  return db
    .selectFrom("users as u")
    .innerJoin("tenants as t", "t.id", "u.tenant_id")
    .select(["u.id", "u.login", "u.full_name", "u.role", "u.is_platform_admin", "u.is_active"])
    .select(["u.token_version", "u.created_at", "u.password_hash"])
    .select(["t.id as tenant_id", "t.slug as tenant_slug", "t.name as tenant_name"]);
}

type SessionRow = Awaited<ReturnType<ReturnType<typeof sessionUsers>["executeTakeFirstOrThrow"]>>;

function toSessionUser(row: SessionRow): SessionUser {
  return {
    id: row.id,
    login: row.login,
    full_name: row.full_name,
    role: row.role,
    is_platform_admin: row.is_platform_admin,
    token_version: row.token_version,
    created_at: row.created_at,
    tenant: { id: row.tenant_id, slug: row.tenant_slug, name: row.tenant_name },
  };
}

/** The active user a session belongs to, or null when it no longer exists or is disabled. */
export async function findActiveSessionUser(db: Kysely<DB>, userId: string): Promise<SessionUser | null> {
  const row = await sessionUsers(db).where("u.id", "=", userId).executeTakeFirst();
  return row?.is_active ? toSessionUser(row) : null;
}

/** The user whose login and password match; null for every failure, after the same work. */
export async function verifyCredentials(
  db: Kysely<DB>,
  input: { login: string; password: string; passwordLogN: number },
): Promise<SessionUser | null> {
  const row = await sessionUsers(db).where("u.login", "=", input.login.toLowerCase()).executeTakeFirst();
  const matches = await verifyPassword(input.password, row?.password_hash ?? dummyHash(input.passwordLogN));
  return row && matches && row.is_active ? toSessionUser(row) : null;
}

export async function listUsers(
  db: Kysely<DB>,
  scope: Scope,
  input: { cursor?: string; limit: number },
): Promise<Page<TenantUser>> {
  assertAdmin(scope);
  return newestFirstPage(
    db.selectFrom("users").select(USER_COLUMNS).where("tenant_id", "=", scope.tenantId),
    input,
  );
}

export async function createTenantUser(
  trx: Transaction<DB>,
  scope: Scope,
  input: { login: string; password: string; full_name: string; role: Role; passwordLogN: number },
): Promise<TenantUser> {
  assertAdmin(scope);
  const passwordHash = await hashPassword(input.password, input.passwordLogN);
  const login = input.login.toLowerCase();
  let user: TenantUser;
  try {
    user = await trx
      .insertInto("users")
      .values({
        tenant_id: scope.tenantId,
        login,
        full_name: input.full_name,
        password_hash: passwordHash,
        role: input.role,
      })
      .returning(USER_COLUMNS)
      .executeTakeFirstOrThrow();
  } catch (error) {
    // Logins are unique across tenants (they log in without naming one).
    if (isPgError(error, PG_ERROR.uniqueViolation))
      throw new ApiError("conflict", "login already exists", { field: "login" });
    throw error;
  }
  await recordAudit(trx, scope, {
    action: "user.create",
    targetType: "user",
    targetId: user.id,
    meta: { login, role: input.role },
  });
  return user;
}

/**
 * Locks the tenant's active admins and the target user. The caller must still be among the admins
 * once the locks are held, so two admins demoting each other at once cannot leave the tenant without one.
 */
async function lockForAdminChange(trx: Transaction<DB>, scope: Scope, userId: string) {
  assertAdmin(scope);
  const admins = await trx
    .selectFrom("users")
    .select("id")
    .where("tenant_id", "=", scope.tenantId)
    .where("role", "=", "admin")
    .where("is_active", "=", true)
    .orderBy("id")
    .forUpdate()
    .execute();
  if (!admins.some((admin) => admin.id === scope.userId)) {
    throw new ApiError("forbidden", "this action needs the admin role");
  }
  const target = await trx
    .selectFrom("users")
    .select(["id", "login", "role", "full_name", "is_active"])
    .where("id", "=", userId)
    .where("tenant_id", "=", scope.tenantId)
    .forUpdate()
    .executeTakeFirst();
  if (!target) throw notFound("user");
  return target;
}

export interface UserPatch {
  role?: Role;
  full_name?: string;
  is_active?: boolean;
}

/** Role and activation changes end the user's outstanding sessions (token_version, refresh tokens). */
export async function updateTenantUser(
  trx: Transaction<DB>,
  scope: Scope,
  userId: string,
  patch: UserPatch,
): Promise<TenantUser> {
  const target = await lockForAdminChange(trx, scope, userId);
  if (userId === scope.userId && ((patch.role && patch.role !== "admin") || patch.is_active === false)) {
    throw new ApiError("conflict", "you cannot demote or disable yourself; ask another admin");
  }
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of ["role", "full_name", "is_active"] as const) {
    if (patch[field] !== undefined && patch[field] !== target[field]) {
      changes[field] = { from: target[field], to: patch[field] };
    }
  }
  const endSessions = Boolean(changes.role || changes.is_active?.to === false);
  const user = await trx
    .updateTable("users")
    .set((eb) => ({
      ...patch,
      updated_at: new Date(),
      ...(endSessions ? { token_version: eb("token_version", "+", 1) } : {}),
    }))
    .where("id", "=", userId)
    .returning(USER_COLUMNS)
    .executeTakeFirstOrThrow();
  if (endSessions) await revokeUserRefreshTokens(trx, userId);
  await recordAudit(trx, scope, {
    action: "user.update",
    targetType: "user",
    targetId: userId,
    meta: { changes },
  });
  return user;
}

export async function deleteTenantUser(trx: Transaction<DB>, scope: Scope, userId: string): Promise<void> {
  if (userId === scope.userId)
    throw new ApiError("conflict", "you cannot delete yourself; ask another admin");
  const target = await lockForAdminChange(trx, scope, userId);
  try {
    await trx.deleteFrom("users").where("id", "=", userId).execute();
  } catch (error) {
    if (isPgError(error, PG_ERROR.foreignKeyViolation)) {
      throw new ApiError("conflict", "the user still owns data; disable the user instead");
    }
    throw error;
  }
  await recordAudit(trx, scope, {
    action: "user.delete",
    targetType: "user",
    targetId: userId,
    meta: { login: target.login, role: target.role },
  });
}

/** Ends every outstanding session of the user (the caller's included): they log in again. */
export async function changePassword(
  trx: Transaction<DB>,
  scope: Scope,
  input: { currentPassword: string; newPassword: string; passwordLogN: number },
): Promise<void> {
  const newHash = await hashPassword(input.newPassword, input.passwordLogN);
  const user = await trx
    .selectFrom("users")
    .select(["id", "password_hash"])
    .where("id", "=", scope.userId)
    .where("tenant_id", "=", scope.tenantId)
    .forUpdate()
    .executeTakeFirst();
  if (!user) throw notFound("user");
  if (!(await verifyPassword(input.currentPassword, user.password_hash))) {
    throw new ApiError("unauthorized", "current password is wrong", { field: "current_password" });
  }
  await trx
    .updateTable("users")
    .set((eb) => ({
      password_hash: newHash,
      token_version: eb("token_version", "+", 1),
      updated_at: new Date(),
    }))
    .where("id", "=", user.id)
    .execute();
  await revokeUserRefreshTokens(trx, user.id);
  await recordAudit(trx, scope, { action: "user.password_change", targetType: "user", targetId: user.id });
}
