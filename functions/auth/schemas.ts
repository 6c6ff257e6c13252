import { z } from "@hono/zod-openapi";
import { cursorQuery, limitQuery, timestampField } from "../../shared/http/openapi-fields.ts";
import { describedError } from "../../shared/http/openapi-responses.ts";

const role = z.enum(["reader", "editor", "admin"]).openapi({ description: "reader < editor < admin" });

/** Login and refresh answer 401 for what they were given, not for a missing token. */
export const rejectedCredentialsError = describedError(401, "Credentials or refresh token not accepted");

export const TenantSchema = z.object({ id: z.uuid(), slug: z.string(), name: z.string() }).openapi("Tenant");

export const LoginBodySchema = z
  .strictObject({
    login: z.string().trim().min(1).max(200),
    password: z.string().min(1).max(1024),
  })
  .openapi("LoginRequest");

export const RefreshBodySchema = z
  .strictObject({ refresh_token: z.string().min(1).max(256) })
  .openapi("RefreshTokenRequest");

export const SessionSchema = z
  .object({
    access_token: z.string(),
    refresh_token: z.string().openapi({ description: "Single use: each refresh returns a new one" }),
    token_type: z.literal("bearer"),
    expires_in: z.number().int().openapi({ description: "Access token lifetime, seconds" }),
    user: z.object({
      id: z.uuid(),
      full_name: z.string(),
      login: z.string(),
      role,
      tenant: TenantSchema,
    }),
  })
  .openapi("Session");

export const MeSchema = z
  .object({
    id: z.uuid(),
    login: z.string(),
    full_name: z.string(),
    role,
    tenant: TenantSchema,
    is_platform_admin: z.boolean(),
    created_at: timestampField,
  })
  .openapi("Me");

export const JwksSchema = z
  .object({ keys: z.array(z.record(z.string(), z.unknown())) })
  .openapi("JsonWebKeySet");

export const IdParamsSchema = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" } }),
});

export const ListQuerySchema = z.object({
  cursor: cursorQuery,
  limit: limitQuery(20),
});

function pageOf<T extends z.ZodType>(item: T, name: string) {
  return z.object({ items: z.array(item), next_cursor: z.string().nullable() }).openapi(name);
}

const tokenScope = z.enum(["read", "write", "admin"]).openapi({
  description: "read acts as at most a reader, write as an editor, admin as an admin; never above the owner",
});

export const PersonalTokenSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    scopes: z.array(z.string()),
    created_at: timestampField,
    last_used_at: timestampField.nullable(),
    expires_at: timestampField.nullable(),
  })
  .openapi("PersonalToken");

export const PersonalTokenPageSchema = pageOf(PersonalTokenSchema, "PersonalTokenPage");

export const CreateTokenBodySchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    scopes: z.array(tokenScope).min(1),
    expires_in_days: z.number().int().min(1).max(3650).optional().openapi({
      description: "Omit for a token that does not expire",
    }),
  })
  .openapi("CreatePersonalTokenRequest");

export const CreatedTokenSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    scopes: z.array(z.string()),
    token: z.string().openapi({ description: "qpat_…: shown once, store it now" }),
    expires_at: timestampField.nullable(),
    created_at: timestampField,
  })
  .openapi("CreatedPersonalToken");

export const UserSchema = z
  .object({
    id: z.uuid(),
    login: z.string(),
    full_name: z.string(),
    role,
    is_active: z.boolean(),
    is_platform_admin: z.boolean(),
    created_at: timestampField,
    updated_at: timestampField,
  })
  .openapi("User");

export const UserPageSchema = pageOf(UserSchema, "UserPage");

export const CreateUserBodySchema = z
  .strictObject({
    login: z.string().trim().min(1).max(200).openapi({ description: "Stored lowercase; unique" }),
    password: z.string().min(8).max(1024),
    full_name: z.string().trim().min(1).max(200),
    role,
  })
  .openapi("CreateUserRequest");

export const UpdateUserBodySchema = z
  .strictObject({
    role: role.optional(),
    full_name: z.string().trim().min(1).max(200).optional(),
    is_active: z.boolean().optional(),
  })
  .refine((patch) => Object.values(patch).some((value) => value !== undefined), {
    message: "give at least one of role, full_name, is_active",
  })
  .openapi("UpdateUserRequest");

/**
 * A wrong `current_password` answers 401 unauthorized ("current password is wrong"): the caller failed
 * to prove who they are, like a failed login; it is neither a 403 (the role allows it) nor a 422
 * (the body is well formed).
 */
export const ChangePasswordBodySchema = z
  .strictObject({
    current_password: z.string().min(1).max(1024),
    new_password: z.string().min(8).max(1024),
  })
  .openapi("ChangePasswordRequest");
