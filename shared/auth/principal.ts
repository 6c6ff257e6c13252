import type { Role } from "../../db/types.ts";

export type { Role };

const ROLE_RANK: Record<Role, number> = { reader: 1, editor: 2, admin: 3 };

export function roleAtLeast(role: Role, minimum: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[minimum];
}

/** Who is calling: resolved once per request from an access token or a personal access token. */
export interface Principal {
  userId: string;
  tenantId: string;
  /** The effective role: the user's role, capped by a personal token's scopes. */
  role: Role;
  isPlatformAdmin: boolean;
  via: "access_token" | "personal_token";
  /** The personal token's id when `via` is `personal_token`. */
  tokenId: string | null;
}

/** The data-access scope every tenant-owned query takes: never optional. */
export interface Scope {
  tenantId: string;
  userId: string;
  role: Role;
}

export function scopeOf(principal: Principal): Scope {
  return { tenantId: principal.tenantId, userId: principal.userId, role: principal.role };
}
