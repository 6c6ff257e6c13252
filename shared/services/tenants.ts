import type { Kysely, Transaction } from "kysely";
import { isPgError, PG_ERROR } from "../../db/pg-errors.ts";
import type { DB, Role } from "../../db/types.ts";
import { hashPassword } from "../auth/passwords.ts";
import { ApiError } from "../errors.ts";

export interface NewTenantWithAdmin {
  slug: string;
  name: string;
  admin: { login: string; password: string; fullName: string; isPlatformAdmin?: boolean };
  passwordLogN: number;
}

/** A tenant and its first admin, in one transaction; a taken slug or login is a 409. */
export async function createTenantWithAdmin(trx: Transaction<DB>, input: NewTenantWithAdmin) {
  const passwordHash = await hashPassword(input.admin.password, input.passwordLogN);
  try {
    const tenant = await trx
      .insertInto("tenants")
      .values({ slug: input.slug, name: input.name })
      .returningAll()
      .executeTakeFirstOrThrow();
    const role: Role = "admin";
    const admin = await trx
      .insertInto("users")
      .values({
        tenant_id: tenant.id,
        login: input.admin.login.toLowerCase(),
        full_name: input.admin.fullName,
        password_hash: passwordHash,
        role,
        is_platform_admin: input.admin.isPlatformAdmin ?? false,
      })
      .returning(["id", "login", "full_name", "role", "is_platform_admin", "created_at"])
      .executeTakeFirstOrThrow();
    return { tenant, admin };
  } catch (error) {
    if (isPgError(error, PG_ERROR.uniqueViolation)) {
      const what = error.constraint?.includes("slug") ? "tenant slug" : "login";
      throw new ApiError("conflict", `${what} already exists`);
    }
    throw error;
  }
}

export async function findTenantBySlug(db: Kysely<DB>, slug: string) {
  return db.selectFrom("tenants").selectAll().where("slug", "=", slug).executeTakeFirst();
}
