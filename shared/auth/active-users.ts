import type { Kysely } from "kysely";
import type { DB } from "../../db/types.ts";
import { findActiveSessionUser, type SessionUser } from "../services/users.ts";

const MAX_ENTRIES = 10_000;

/** Active users by id, as every authenticated request needs them (role, token version, profile). */
export interface ActiveUsers {
  /** The user, or null when it does not exist or is disabled. */
  get(userId: string): Promise<SessionUser | null>;
  /** Drops a cached copy: call it after changing, disabling or deleting the user. */
  forget(userId: string): void;
}

/**
 * Keeps each user `ttlMs` so a client's burst of requests reads the row once, and requests that miss
 * together share one read. A change made in this process is seen at once (`forget`); one made by another
 * process within `ttlMs` (0 disables the cache). A failed read is not kept.
 */
export function cacheActiveUsers(db: Kysely<DB>, ttlMs: number): ActiveUsers {
  const entries = new Map<string, { user: Promise<SessionUser | null>; until: number }>();
  return {
    get(userId) {
      const now = Date.now();
      const hit = entries.get(userId);
      if (hit && hit.until > now) return hit.user;
      const user = findActiveSessionUser(db, userId);
      if (ttlMs > 0) {
        entries.delete(userId);
        if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value as string);
        const entry = { user, until: now + ttlMs };
        entries.set(userId, entry);
        user.catch(() => {
          if (entries.get(userId) === entry) entries.delete(userId);
        });
      }
      return user;
    },
    forget(userId) {
      entries.delete(userId);
    },
  };
}
