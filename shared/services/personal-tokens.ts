import type { Kysely, Transaction } from "kysely";
import type { DB } from "../../db/types.ts";
import { hashOpaqueToken, newOpaqueToken, PERSONAL_TOKEN_PREFIX } from "../auth/opaque-token.ts";
import type { Scope } from "../auth/principal.ts";
import type { TokenScope } from "../auth/scopes.ts";
import { notFound } from "../errors.ts";
import { newestFirstPage, type Page } from "../pagination/keyset-cursor.ts";
import { recordAudit } from "./audit.ts";

/** A personal token as its owner sees it: never the secret, which is shown once at creation. */
export interface PersonalTokenInfo {
  id: string;
  name: string;
  scopes: string[];
  created_at: Date;
  last_used_at: Date | null;
  expires_at: Date | null;
}

const TOKEN_COLUMNS = ["id", "name", "scopes", "created_at", "last_used_at", "expires_at"] as const;

/** The caller's own tokens that are not revoked (expired ones stay listed until revoked), newest first. */
export async function listPersonalTokens(
  db: Kysely<DB>,
  scope: Scope,
  input: { cursor?: string; limit: number },
): Promise<Page<PersonalTokenInfo>> {
  return newestFirstPage(
    db
      .selectFrom("personal_tokens")
      .select(TOKEN_COLUMNS)
      .where("user_id", "=", scope.userId)
      .where("revoked_at", "is", null),
    input,
  );
}

export async function createPersonalToken(
  trx: Transaction<DB>,
  scope: Scope,
  input: { name: string; scopes: TokenScope[]; expiresInDays?: number },
): Promise<PersonalTokenInfo & { token: string }> {
  const token = newOpaqueToken(PERSONAL_TOKEN_PREFIX);
  const scopes = [...new Set(input.scopes)];
  const expiresAt = input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null;
  const row = await trx
    .insertInto("personal_tokens")
    .values({
      user_id: scope.userId,
      name: input.name,
      token_hash: hashOpaqueToken(token),
      scopes,
      expires_at: expiresAt,
    })
    .returning(TOKEN_COLUMNS)
    .executeTakeFirstOrThrow();
  await recordAudit(trx, scope, {
    action: "token.create",
    targetType: "personal_token",
    targetId: row.id,
    meta: { name: input.name, scopes },
  });
  return { ...row, token };
}

/** Revokes one of the caller's own tokens; another user's token, or one already revoked, is a 404. */
export async function revokePersonalToken(
  trx: Transaction<DB>,
  scope: Scope,
  tokenId: string,
): Promise<void> {
  const revoked = await trx
    .updateTable("personal_tokens")
    .set({ revoked_at: new Date() })
    .where("id", "=", tokenId)
    .where("user_id", "=", scope.userId)
    .where("revoked_at", "is", null)
    .returning("name")
    .executeTakeFirst();
  if (!revoked) throw notFound("token");
  await recordAudit(trx, scope, {
    action: "token.revoke",
    targetType: "personal_token",
    targetId: tokenId,
    meta: { name: revoked.name },
  });
}
