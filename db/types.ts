import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";

export type Role = "admin" | "editor" | "reader";
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

export interface TenantsTable {
  id: Generated<string>;
  slug: string;
  name: string;
  created_at: CreatedAt;
}

export interface UsersTable {
  id: Generated<string>;
  tenant_id: string;
  login: string;
  full_name: string;
  password_hash: string;
  role: Role;
  is_platform_admin: Generated<boolean>;
  is_active: Generated<boolean>;
  token_version: Generated<number>;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface PersonalTokensTable {
  id: Generated<string>;
  user_id: string;
  name: string;
  token_hash: string;
  scopes: string[];
  created_at: CreatedAt;
  last_used_at: Date | null;
  expires_at: Date | null;
  revoked_at: Date | null;
}

export interface RefreshTokensTable {
  id: Generated<string>;
  user_id: string;
  family_id: string;
  token_hash: string;
  issued_at: CreatedAt;
  expires_at: Date;
  used_at: Date | null;
  revoked_at: Date | null;
  replaced_by: string | null;
  user_agent: string | null;
  ip: string | null;
}

export interface AuditLogTable {
  id: Generated<string>;
  tenant_id: string;
  actor_id: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  meta: ColumnType<Record<string, unknown>, Record<string, unknown> | undefined, never>;
  created_at: CreatedAt;
}

export interface DB {
  tenants: TenantsTable;
  users: UsersTable;
  personal_tokens: PersonalTokensTable;
  refresh_tokens: RefreshTokensTable;
  audit_log: AuditLogTable;
}

export type Tenant = Selectable<TenantsTable>;
export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type PersonalToken = Selectable<PersonalTokensTable>;
export type RefreshToken = Selectable<RefreshTokensTable>;
export type AuditEntry = Selectable<AuditLogTable>;
