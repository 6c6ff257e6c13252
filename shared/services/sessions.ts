import { randomUUID } from "node:crypto";
import type { Kysely } from "kysely";
import type { DB } from "../../db/types.ts";
import { signAccessToken } from "../auth/jwt.ts";
import type { KeySet } from "../auth/keys.ts";
import { ApiError } from "../errors.ts";
import {
  type ClientInfo,
  findRefreshToken,
  insertRefreshToken,
  lockRefreshToken,
  revokeRefreshFamily,
} from "./refresh-tokens.ts";
import { findActiveSessionUser, type SessionUser } from "./users.ts";

export type { ClientInfo };

/** What signs a session's tokens: the key set and the token settings from config. */
export interface SessionIssuer {
  keys: KeySet;
  issuer: string;
  audience: string;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
}

export interface IssuedSession {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
  user: SessionUser;
}

async function signFor(issuer: SessionIssuer, user: SessionUser): Promise<string> {
  return signAccessToken(
    issuer.keys,
    { issuer: issuer.issuer, audience: issuer.audience, ttlSeconds: issuer.accessTtlSeconds },
    { userId: user.id, tenantId: user.tenant.id, role: user.role, tokenVersion: user.token_version },
  );
}

/** A new session (a new refresh token family) for a user whose credentials were just verified. */
export async function startSession(
  db: Kysely<DB>,
  issuer: SessionIssuer,
  input: { user: SessionUser; client: ClientInfo },
): Promise<IssuedSession> {
  const refresh = await insertRefreshToken(db, {
    userId: input.user.id,
    familyId: randomUUID(),
    ttlSeconds: issuer.refreshTtlSeconds,
    client: input.client,
  });
  return {
    accessToken: await signFor(issuer, input.user),
    refreshToken: refresh.token,
    expiresIn: issuer.accessTtlSeconds,
    user: input.user,
  };
}

const invalidRefreshToken = () => new ApiError("unauthorized", "invalid or expired refresh token");

/**
 * Rotates a refresh token: the presented one is marked used and replaced by a new one of its family.
 * Presenting a token that was already used or revoked means it leaked (or the client replayed it):
 * the whole family is revoked, as RFC 9700 §4.14 asks, and that revocation is committed before the 401.
 */
export async function rotateSession(
  db: Kysely<DB>,
  issuer: SessionIssuer,
  input: { refreshToken: string; client: ClientInfo },
): Promise<IssuedSession> {
  const rotated = await db.transaction().execute(async (trx) => {
    const row = await lockRefreshToken(trx, input.refreshToken);
    if (!row) return null;
    if (row.used_at || row.revoked_at) {
      await revokeRefreshFamily(trx, row.family_id);
      return null;
    }
    if (row.expires_at <= new Date()) return null;
    const user = await findActiveSessionUser(trx, row.user_id);
    if (!user) {
      await revokeRefreshFamily(trx, row.family_id);
      return null;
    }
    const next = await insertRefreshToken(trx, {
      userId: user.id,
      familyId: row.family_id,
      ttlSeconds: issuer.refreshTtlSeconds,
      client: input.client,
    });
    await trx
      .updateTable("refresh_tokens")
      .set({ used_at: new Date(), replaced_by: next.id })
      .where("id", "=", row.id)
      .execute();
    return { user, refreshToken: next.token };
  });
  if (!rotated) throw invalidRefreshToken();
  return {
    accessToken: await signFor(issuer, rotated.user),
    refreshToken: rotated.refreshToken,
    expiresIn: issuer.accessTtlSeconds,
    user: rotated.user,
  };
}

/** Logout: revokes the token's whole family. An unknown token is not an error (logout is idempotent). */
export async function endSession(db: Kysely<DB>, input: { refreshToken: string }): Promise<void> {
  const row = await findRefreshToken(db, input.refreshToken);
  if (row) await revokeRefreshFamily(db, row.family_id);
}
