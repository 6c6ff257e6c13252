import type { Context, MiddlewareHandler } from "hono";
import type { Database } from "../../db/database.ts";
import { ApiError } from "../errors.ts";
import type { AppEnv } from "../http/app-env.ts";
import { requestHeader } from "../http/node-bindings.ts";
import { enforceRateLimit, type RateLimitRule } from "../rate-limit/middleware.ts";
import type { ActiveUsers } from "./active-users.ts";
import { verifyAccessToken } from "./jwt.ts";
import type { KeySet } from "./keys.ts";
import { hashOpaqueToken, PERSONAL_TOKEN_PREFIX } from "./opaque-token.ts";
import { type Principal, type Role, roleAtLeast } from "./principal.ts";
import { effectiveRole } from "./scopes.ts";
import { cacheVerifiedTokens } from "./verified-token-cache.ts";

/** `last_used_at` of a personal token is written at most this often, to keep reads read-only. */
const LAST_USED_RESOLUTION_MS = 60_000;

export interface Authenticator {
  /** The principal behind a bearer token, or null when the token is not (or no longer) valid. */
  resolve(token: string): Promise<Principal | null>;
}

export function createAuthenticator(
  db: Database,
  users: ActiveUsers,
  keys: KeySet,
  settings: { issuer: string; audience: string },
): Authenticator {
  const verify = cacheVerifiedTokens((token) => verifyAccessToken(keys, settings, token));

  async function fromAccessToken(token: string): Promise<Principal | null> {
    const claims = await verify(token);
    if (!claims) return null;
    const user = await users.get(claims.userId);
    if (!user || user.token_version !== claims.tokenVersion || user.tenant.id !== claims.tenantId) {
      return null;
    }
    return {
      userId: user.id,
      tenantId: user.tenant.id,
      role: user.role,
      isPlatformAdmin: user.is_platform_admin,
      via: "access_token",
      tokenId: null,
    };
  }

  async function fromPersonalToken(token: string): Promise<Principal | null> {
    const row = await db
      .selectFrom("personal_tokens as t")
      .innerJoin("users as u", "u.id", "t.user_id")
      .select(["t.id as token_id", "t.scopes", "t.expires_at", "t.revoked_at", "t.last_used_at"])
      .select(["u.id as user_id", "u.tenant_id", "u.role", "u.is_platform_admin", "u.is_active"])
      .where("t.token_hash", "=", hashOpaqueToken(token))
      .executeTakeFirst();
    if (!row?.is_active || row.revoked_at || (row.expires_at && row.expires_at <= new Date())) return null;
    const role = effectiveRole(row.role, row.scopes);
    if (!role) return null;
    if (!row.last_used_at || Date.now() - row.last_used_at.getTime() > LAST_USED_RESOLUTION_MS) {
      await db
        .updateTable("personal_tokens")
        .set({ last_used_at: new Date() })
        .where("id", "=", row.token_id)
        .execute();
    }
    return {
      userId: row.user_id,
      tenantId: row.tenant_id,
      role,
      // Platform administration needs the owner's full rights, not a scoped token.
      isPlatformAdmin: row.is_platform_admin && role === "admin",
      via: "personal_token",
      tokenId: row.token_id,
    };
  }

  return {
    resolve: (token) =>
      token.startsWith(PERSONAL_TOKEN_PREFIX) ? fromPersonalToken(token) : fromAccessToken(token),
  };
}

/** Every authenticated request counts against its principal's default budget. */
const DEFAULT_RATE_LIMIT: RateLimitRule = {
  name: "default",
  policy: (config) => config.RATE_LIMIT_DEFAULT,
  key: (c) => c.get("principal").userId,
};

export function bearerToken(header: string | undefined): string | null {
  return header?.match(/^Bearer\s+(\S+)$/i)?.[1] ?? null;
}

/**
 * The request's principal, resolved from its bearer token once per request (the idempotency middleware
 * may have resolved it already); null without a valid token.
 */
export async function requestPrincipal(c: Context<AppEnv>): Promise<Principal | null> {
  const known = c.get("principal");
  if (known) return known;
  const token = bearerToken(requestHeader(c, "authorization"));
  const principal = token ? await c.get("deps").authenticator.resolve(token) : null;
  if (principal) c.set("principal", principal);
  return principal;
}

/** 401 without a valid token, 403 when the caller's role is below `minimum`. Sets `principal`. */
export function requireRole(minimum: Role): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = await requestPrincipal(c);
    if (!principal) {
      const challenge = { "WWW-Authenticate": 'Bearer realm="quarry"' };
      if (!bearerToken(requestHeader(c, "authorization"))) {
        throw new ApiError("unauthorized", "authentication required", {}, challenge);
      }
      throw new ApiError("unauthorized", "invalid or expired token", {}, challenge);
    }
    await enforceRateLimit(c, DEFAULT_RATE_LIMIT);
    if (!roleAtLeast(principal.role, minimum)) {
      throw new ApiError("forbidden", `this action needs the ${minimum} role`);
    }
    await next();
  };
}
