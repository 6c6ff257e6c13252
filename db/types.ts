import type { ColumnType, Generated, Insertable, Selectable, Updateable } from "kysely";

export type Role = "admin" | "editor" | "reader";
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;

export interface TenantsTable {
  id: Generated<string>;
  slug: string;
  name: string;
  /** Text-search configuration of the tenant's chunks; null → the global default. */
  text_search_language: ColumnType<string | null, string | null | undefined, string | null>;
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

export type DocumentStatus =
  | "uploading"
  | "queued"
  | "extracting"
  | "chunking"
  | "embedding"
  | "indexing"
  | "ready"
  | "failed"
  | "canceled"
  | "deleting";

export interface DocumentsTable {
  id: Generated<string>;
  tenant_id: string;
  name: string;
  status: DocumentStatus;
  source_mime: string | null;
  size_bytes: number | null;
  content_hash: string | null;
  tags: Generated<string[]>;
  blob_key: string;
  canonical_key: string | null;
  uploaded_by: string | null;
  error: string | null;
  /** `{ "<stage>": { "started_at": iso, "ended_at": iso } }` */
  stage_timestamps: Generated<Record<string, { started_at?: string; ended_at?: string }>>;
  embedding_model: string | null;
  /** Presigned uploads only: when an upload never completed is expired by maintenance. */
  upload_expires_at: Date | null;
  /** Presigned uploads only: the size the client declared, which `complete` holds the file to. */
  declared_size_bytes: number | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface ChunksTable {
  id: Generated<string>;
  document_id: string;
  tenant_id: string;
  idx: number;
  text: string;
  content_hash: string;
  token_count: number;
  page: number | null;
  meta: Generated<Record<string, unknown>>;
  /** Text-search configuration (`simple`, `english`, …) the tsvector is built with. */
  language: Generated<string>;
  tsv: ColumnType<string, never, never>;
  created_at: CreatedAt;
}

export interface EmbeddingsTable {
  model: string;
  content_hash: string;
  dims: number;
  /** float32 little-endian */
  vector: Buffer;
  created_at: CreatedAt;
}

export interface VectorPointsTable {
  collection: string;
  id: string;
  tenant_id: string;
  document_id: string;
  content_hash: string;
  payload: Record<string, unknown>;
}

export interface VectorIndexVersionsTable {
  collection: string;
  tenant_id: string;
  version: Generated<number>;
}

export interface VectorAliasesTable {
  alias: string;
  collection: string;
  updated_at: Timestamp;
}

export interface DeadLetterJobsTable {
  job_id: number;
  task_identifier: string;
  payload: unknown;
  job_key: string | null;
  attempts: number;
  max_attempts: number;
  last_error: string | null;
  created_at: Date;
  failed_at: Date;
  moved_at: CreatedAt;
}

export interface ChatsTable {
  id: Generated<string>;
  tenant_id: string;
  owner_id: string;
  name: string;
  created_at: CreatedAt;
  updated_at: Timestamp;
  last_message_at: Date | null;
}

export type MessageRole = "system" | "user" | "assistant" | "tool";
export type MessageStatus = "complete" | "interrupted" | "failed";

export interface ChatMessagesTable {
  id: Generated<string>;
  chat_id: string;
  tenant_id: string;
  role: MessageRole;
  content: string;
  /** The content's tokens (cl100k), for the history budget; null on rows older than the column. */
  content_tokens: number | null;
  model: string | null;
  tokens_in: number | null;
  tokens_out: number | null;
  latency_ms: number | null;
  status: Generated<MessageStatus>;
  citations: Generated<unknown[]>;
  meta: Generated<Record<string, unknown>>;
  created_at: CreatedAt;
}

export interface AnswerCacheTable {
  key: string;
  tenant_id: string;
  document_ids: string[];
  response: Record<string, unknown>;
  created_at: CreatedAt;
  expires_at: Date;
}

export type AnalysisStatus = "queued" | "running" | "ready" | "failed" | "canceled";

export interface AnalysisJobsTable {
  id: Generated<string>;
  tenant_id: string;
  status: AnalysisStatus;
  source: Record<string, unknown>;
  blob_key: string | null;
  params: Generated<Record<string, unknown>>;
  progress: Generated<number>;
  result: Record<string, unknown> | null;
  artifact_key: string | null;
  error: string | null;
  created_by: string | null;
  created_at: CreatedAt;
  updated_at: Timestamp;
}

export interface DB {
  tenants: TenantsTable;
  users: UsersTable;
  personal_tokens: PersonalTokensTable;
  refresh_tokens: RefreshTokensTable;
  audit_log: AuditLogTable;
  documents: DocumentsTable;
  chunks: ChunksTable;
  embeddings: EmbeddingsTable;
  vector_points: VectorPointsTable;
  vector_index_versions: VectorIndexVersionsTable;
  vector_aliases: VectorAliasesTable;
  dead_letter_jobs: DeadLetterJobsTable;
  chats: ChatsTable;
  chat_messages: ChatMessagesTable;
  answer_cache: AnswerCacheTable;
  analysis_jobs: AnalysisJobsTable;
}

export type Tenant = Selectable<TenantsTable>;
export type User = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type UserUpdate = Updateable<UsersTable>;
export type PersonalToken = Selectable<PersonalTokensTable>;
export type RefreshToken = Selectable<RefreshTokensTable>;
export type AuditEntry = Selectable<AuditLogTable>;
export type Document = Selectable<DocumentsTable>;
export type Chunk = Selectable<ChunksTable>;
