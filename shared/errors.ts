/** The closed set of error codes of the HTTP contract, with the status each maps to. */
export const ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  validation_failed: 422,
  idempotency_key_mismatch: 422,
  rate_limited: 429,
  internal: 500,
  overloaded: 503,
  maintenance: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;
export type ErrorStatus = (typeof ERROR_STATUS)[ErrorCode];

/** A domain error: service verbs throw it, the edge turns it into the error envelope. */
export class ApiError extends Error {
  readonly status: ErrorStatus;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = "ApiError";
    this.status = ERROR_STATUS[code];
  }
}

export const notFound = (what: string) => new ApiError("not_found", `${what} not found`);

export interface ErrorEnvelope {
  error: { code: ErrorCode; message: string; details: Record<string, unknown> };
  request_id: string;
}

export function errorEnvelope(error: ApiError, requestId: string): ErrorEnvelope {
  return {
    error: { code: error.code, message: error.message, details: error.details },
    request_id: requestId,
  };
}
