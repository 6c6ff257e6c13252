import type { PersonalTokenInfo } from "../../shared/services/personal-tokens.ts";
import type { IssuedSession } from "../../shared/services/sessions.ts";
import type { SessionUser, TenantUser } from "../../shared/services/users.ts";

/** Response shapes: dates as ISO strings, internal columns (cursor position, token version) left out. */

export function sessionJson(session: IssuedSession) {
  const { user } = session;
  return {
    access_token: session.accessToken,
    refresh_token: session.refreshToken,
    token_type: "bearer" as const,
    expires_in: session.expiresIn,
    user: { id: user.id, full_name: user.full_name, login: user.login, role: user.role, tenant: user.tenant },
  };
}

export function meJson(user: SessionUser) {
  return {
    id: user.id,
    login: user.login,
    full_name: user.full_name,
    role: user.role,
    tenant: user.tenant,
    is_platform_admin: user.is_platform_admin,
    created_at: user.created_at.toISOString(),
  };
}

export function userJson(user: TenantUser) {
  return {
    id: user.id,
    login: user.login,
    full_name: user.full_name,
    role: user.role,
    is_active: user.is_active,
    is_platform_admin: user.is_platform_admin,
    created_at: user.created_at.toISOString(),
    updated_at: user.updated_at.toISOString(),
  };
}

export function tokenJson(token: PersonalTokenInfo) {
  return {
    id: token.id,
    name: token.name,
    scopes: token.scopes,
    created_at: token.created_at.toISOString(),
    last_used_at: token.last_used_at?.toISOString() ?? null,
    expires_at: token.expires_at?.toISOString() ?? null,
  };
}
