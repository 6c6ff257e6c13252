import type { Role } from "../../db/types.ts";
import { roleAtLeast } from "./principal.ts";

/** Personal token scopes, each allowing at most the role beside it. */
export const TOKEN_SCOPES = { read: "reader", write: "editor", admin: "admin" } as const satisfies Record<
  string,
  Role
>;
export type TokenScope = keyof typeof TOKEN_SCOPES;

/** A personal token acts with the lower of its owner's role and the highest role its scopes allow. */
export function effectiveRole(userRole: Role, scopes: readonly string[]): Role | null {
  const granted = scopes
    .filter((scope): scope is TokenScope => scope in TOKEN_SCOPES)
    .map((scope) => TOKEN_SCOPES[scope]);
  const highest = granted.sort((a, b) => (roleAtLeast(a, b) ? -1 : 1))[0];
  if (!highest) return null;
  return roleAtLeast(userRole, highest) ? highest : userRole;
}
