import type { Kysely, Transaction } from "kysely";
import type { DB, RefreshToken } from "../../db/types.ts";
import { hashOpaqueToken, newOpaqueToken, REFRESH_TOKEN_PREFIX } from "../auth/opaque-token.ts";

export interface ClientInfo {
  userAgent: string | null;
  ip: string | null;
}

/** Stores a new refresh token of `familyId` (hashed) and returns the secret, shown to the client once. */
export async function insertRefreshToken(
  db: Kysely<DB>,
  input: { userId: string; familyId: string; ttlSeconds: number; client: ClientInfo },
): Promise<{ id: string; token: string }> {
  const token = newOpaqueToken(REFRESH_TOKEN_PREFIX);
  const row = await db
    .insertInto("refresh_tokens")
    .values({
      user_id: input.userId,
      family_id: input.familyId,
      token_hash: hashOpaqueToken(token),
      expires_at: new Date(Date.now() + input.ttlSeconds * 1000),
      user_agent: input.client.userAgent,
      ip: input.client.ip,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  return { id: row.id, token };
}

/** The stored row of a presented refresh token, locked so that two rotations of it cannot both win. */
export async function lockRefreshToken(
  trx: Transaction<DB>,
  token: string,
): Promise<RefreshToken | undefined> {
  return trx
    .selectFrom("refresh_tokens")
    .selectAll()
    .where("token_hash", "=", hashOpaqueToken(token))
    .forUpdate()
    .executeTakeFirst();
}

export async function findRefreshToken(db: Kysely<DB>, token: string): Promise<RefreshToken | undefined> {
  return db
    .selectFrom("refresh_tokens")
    .selectAll()
    .where("token_hash", "=", hashOpaqueToken(token))
    .executeTakeFirst();
}

export async function revokeRefreshFamily(db: Kysely<DB>, familyId: string): Promise<void> {
  await db
    .updateTable("refresh_tokens")
    .set({ revoked_at: new Date() })
    .where("family_id", "=", familyId)
    .where("revoked_at", "is", null)
    .execute();
}

export async function revokeUserRefreshTokens(db: Kysely<DB>, userId: string): Promise<void> {
  await db
    .updateTable("refresh_tokens")
    .set({ revoked_at: new Date() })
    .where("user_id", "=", userId)
    .where("revoked_at", "is", null)
    .execute();
}
