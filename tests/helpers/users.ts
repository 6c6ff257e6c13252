import { randomBytes } from "node:crypto";
import type { Role } from "../../db/types.ts";
import { signAccessToken } from "../../shared/auth/jwt.ts";
import { hashPassword } from "../../shared/auth/passwords.ts";
import type { Deps } from "../../shared/deps.ts";

export interface TestUser {
  id: string;
  tenantId: string;
  login: string;
  password: string;
  role: Role;
  /** A valid access token for this user. */
  token: string;
}

export async function createTenant(deps: Deps, slug = `t-${randomBytes(4).toString("hex")}`) {
  return deps.db.insertInto("tenants").values({ slug, name: slug }).returningAll().executeTakeFirstOrThrow();
}

/** A user straight in the database, with a signed access token (no login round-trip). */
export async function createUser(
  deps: Deps,
  tenantId: string,
  role: Role,
  options: { isPlatformAdmin?: boolean; login?: string } = {},
): Promise<TestUser> {
  const login = options.login ?? `${role}-${randomBytes(4).toString("hex")}`;
  const password = `pw-${randomBytes(8).toString("hex")}`;
  const user = await deps.db
    .insertInto("users")
    .values({
      tenant_id: tenantId,
      login,
      full_name: `Test ${role}`,
      password_hash: await hashPassword(password, deps.config.PASSWORD_SCRYPT_LOG_N),
      role,
      is_platform_admin: options.isPlatformAdmin ?? false,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const token = await signAccessToken(
    deps.keys,
    { issuer: deps.config.JWT_ISSUER, audience: deps.config.JWT_AUDIENCE, ttlSeconds: 900 },
    { userId: user.id, tenantId, role, tokenVersion: user.token_version },
  );
  return { id: user.id, tenantId, login, password, role, token };
}

/** A tenant with one user of each role. */
export async function createTeam(deps: Deps) {
  const tenant = await createTenant(deps);
  const [admin, editor, reader] = await Promise.all([
    createUser(deps, tenant.id, "admin"),
    createUser(deps, tenant.id, "editor"),
    createUser(deps, tenant.id, "reader"),
  ]);
  return { tenant, admin, editor, reader };
}
