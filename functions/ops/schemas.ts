import { z } from "@hono/zod-openapi";

export const VersionInfo = z
  .object({
    name: z.literal("quarry"),
    version: z.string(),
    commit: z.string(),
    node: z.string().openapi({ example: "v20.19.0" }),
    adapters: z.record(z.string(), z.string()).openapi({
      description:
        "The adapter serving each port. An embedder entry says whether embeddings are semantic or lexical.",
      example: { database: "postgres", rate_limits: "redis", idempotency: "redis" },
    }),
  })
  .openapi("VersionInfo");

const timestamp = z.iso.datetime({ offset: true });

export const AuditQuery = z.object({
  action: z.string().min(1).max(200).optional().openapi({ example: "tenant.create" }),
  actor_id: z.uuid().optional(),
  target_type: z.string().min(1).max(200).optional(),
  target_id: z.string().min(1).max(200).optional(),
  since: timestamp.optional().openapi({ description: "Entries at or after this instant" }),
  until: timestamp.optional().openapi({ description: "Entries strictly before this instant" }),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z
    .string()
    .min(1)
    .max(500)
    .optional()
    .openapi({ description: "`next_cursor` of the previous page" }),
});

export const AuditEntry = z
  .object({
    id: z.uuid(),
    actor_id: z.uuid().nullable(),
    actor_login: z.string().nullable(),
    action: z.string(),
    target_type: z.string(),
    target_id: z.string().nullable(),
    meta: z.record(z.string(), z.unknown()),
    created_at: timestamp,
  })
  .openapi("AuditEntry");

export const AuditPage = z
  .object({ items: z.array(AuditEntry), next_cursor: z.string().nullable() })
  .openapi("AuditPage");

/** Shared by `POST /api/admin/tenants` and `npm run cli -- create-tenant`: one set of rules. */
export const NewTenant = z
  .strictObject({
    slug: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9-]{0,62}$/,
        "lowercase letters, digits and dashes, at most 63, not starting with -",
      )
      .openapi({ example: "acme" }),
    name: z.string().trim().min(1).max(200).openapi({ example: "Acme Inc." }),
    admin: z.strictObject({
      login: z
        .string()
        .min(1)
        .max(200)
        .regex(/^\S+$/, "must not contain whitespace")
        .openapi({ example: "alice" }),
      password: z.string().min(8).max(1024),
      full_name: z.string().trim().min(1).max(200).openapi({ example: "Alice Admin" }),
    }),
  })
  .openapi("NewTenant");

export const CreatedTenant = z
  .object({
    tenant: z.object({ id: z.uuid(), slug: z.string(), name: z.string(), created_at: timestamp }),
    admin: z.object({
      id: z.uuid(),
      login: z.string(),
      full_name: z.string(),
      role: z.enum(["admin", "editor", "reader"]),
    }),
  })
  .openapi("CreatedTenant");
