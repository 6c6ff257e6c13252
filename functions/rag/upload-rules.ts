import type { RateLimitRule } from "../../shared/rate-limit/middleware.ts";

/** Uploads (multipart, or a presigned URL handed out) count per user against RATE_LIMIT_UPLOAD. */
export const UPLOAD_RATE_LIMIT: RateLimitRule = {
  name: "upload",
  policy: (config) => config.RATE_LIMIT_UPLOAD,
  key: (c) => c.get("principal").userId,
};

/**
 * For answers given while part of the body may still be unread: the server closes the connection
 * after the response instead of reading the rest of an upload it refused.
 */
export const CONNECTION_CLOSE = { Connection: "close" };
