import { randomBytes } from "node:crypto";
import { sql } from "kysely";
import type { Database } from "../../db/database.ts";
import type { Config } from "../config/index.ts";
import { createTenantWithAdmin } from "./tenants.ts";

export type BootstrapResult =
  | { created: false }
  | { created: true; login: string; generatedPassword: string | null; tenantSlug: string };

/**
 * Creates the first admin (a platform admin in the default tenant) when no admin exists yet:
 * from ADMIN_LOGIN / ADMIN_PASSWORD, or, when `allowGenerated` (embedded mode), with a random password
 * that the caller prints once. An advisory lock makes concurrent boots create only one.
 */
export async function bootstrapFirstAdmin(
  db: Database,
  config: Config,
  allowGenerated: boolean,
): Promise<BootstrapResult> {
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('quarry:bootstrap-admin'))`.execute(trx);
    const existing = await trx
      .selectFrom("users")
      .select("id")
      .where("role", "=", "admin")
      .limit(1)
      .executeTakeFirst();
    if (existing) return { created: false };
    const given = config.ADMIN_LOGIN && config.ADMIN_PASSWORD;
    if (!given && !allowGenerated) return { created: false };
    const login = config.ADMIN_LOGIN ?? "admin";
    const generatedPassword = config.ADMIN_PASSWORD ? null : randomBytes(12).toString("base64url");
    const password = config.ADMIN_PASSWORD ?? (generatedPassword as string);
    const tenant = await trx
      .selectFrom("tenants")
      .select("id")
      .where("slug", "=", config.DEFAULT_TENANT_SLUG)
      .executeTakeFirst();
    if (tenant) {
      throw new Error(
        `tenant ${config.DEFAULT_TENANT_SLUG} exists but has no admin; create one with the CLI`,
      );
    }
    await createTenantWithAdmin(trx, {
      slug: config.DEFAULT_TENANT_SLUG,
      name: "Default",
      admin: { login, password, fullName: "Administrator", isPlatformAdmin: true },
      passwordLogN: config.PASSWORD_SCRYPT_LOG_N,
    });
    return { created: true, login, generatedPassword, tenantSlug: config.DEFAULT_TENANT_SLUG };
  });
}
