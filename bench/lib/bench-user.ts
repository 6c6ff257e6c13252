import type { JWK } from "jose";
import type { Database } from "../../db/database.ts";
import { signAccessToken } from "../../shared/auth/jwt.ts";
import { keySetFromJwks } from "../../shared/auth/keys.ts";
import { hashPassword } from "../../shared/auth/passwords.ts";

/** A tenant "bench" with one reader, and an hour-long access token for them signed with `jwk`. */
export async function createBenchUser(db: Database, jwk: JWK) {
  const tenant = await db
    .insertInto("tenants")
    .values({ slug: "bench", name: "Bench" })
    .returningAll()
    .executeTakeFirstOrThrow();
  const user = await db
    .insertInto("users")
    .values({
      tenant_id: tenant.id,
      login: "bench",
      full_name: "Bench",
      role: "reader",
      password_hash: await hashPassword("bench-password", 10),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const token = await signAccessToken(
    await keySetFromJwks([jwk]),
    { issuer: "quarry", audience: "quarry-api", ttlSeconds: 3600 },
    { userId: user.id, tenantId: tenant.id, role: "reader", tokenVersion: 0 },
  );
  return { tenant, user, token };
}
