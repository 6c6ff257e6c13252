import { z } from "@hono/zod-openapi";
import { ERROR_STATUS, type ErrorCode, type ErrorStatus } from "../errors.ts";

/** The one error envelope every route answers with; registered once as the `ErrorEnvelope` component. */
export const ErrorEnvelopeSchema = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      details: z.record(z.string(), z.unknown()),
    }),
    request_id: z.string(),
  })
  .openapi("ErrorEnvelope");

const ERROR_DESCRIPTIONS: Record<ErrorStatus, string> = {
  400: "Malformed request (for example a malformed body or Idempotency-Key, or a cursor Quarry did not issue)",
  401: "Missing, invalid or expired token",
  403: "The caller's role (or token scopes) does not allow this",
  404: "Not found (also another tenant's or user's resource, or a malformed id)",
  409: "Conflicts with the resource's current state, or the same Idempotency-Key is still running",
  413: "Body over the size limit",
  415: "Unsupported content type",
  422: "Validation failed, or an Idempotency-Key reused with a different body",
  429: "Rate limited (Retry-After, RateLimit-Policy and RateLimit headers)",
  500: "Internal error",
  503: "Overloaded (Retry-After) or in maintenance",
};

interface ErrorResponse {
  description: string;
  content: { "application/json": { schema: typeof ErrorEnvelopeSchema } };
}

function errorResponse(description: string): ErrorResponse {
  return { description, content: { "application/json": { schema: ErrorEnvelopeSchema } } };
}

/** The error responses a route can give, with the default descriptions, spread into its `responses`. */
export function errorResponses<S extends ErrorStatus>(...statuses: S[]): Record<S, ErrorResponse> {
  return Object.fromEntries(
    statuses.map((status) => [status, errorResponse(ERROR_DESCRIPTIONS[status])]),
  ) as Record<S, ErrorResponse>;
}

/** One error response whose meaning on a route is more specific than the default description. */
export function describedError<S extends ErrorStatus>(
  status: S,
  description: string,
): Record<S, ErrorResponse> {
  return { [status]: errorResponse(description) } as Record<S, ErrorResponse>;
}

/** The errors every route that needs a token can give: no or a bad token, a role too low, a rate limit. */
export const protectedErrors = errorResponses(401, 403, 429);

export const bearerSecurity = [{ bearer: [] }];

export function jsonBody<T extends z.ZodType>(schema: T, required = true) {
  return { required, content: { "application/json": { schema } } };
}

export function jsonResponse<T extends z.ZodType>(description: string, schema: T) {
  return { description, content: { "application/json": { schema } } };
}
