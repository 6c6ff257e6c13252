import type { RateLimitRule } from "../../shared/rate-limit/middleware.ts";

/** Starting analyses (submit and retry) counts per user against RATE_LIMIT_ANALYZE. */
export const ANALYZE_RATE_LIMIT: RateLimitRule = {
  name: "analyze",
  policy: (config) => config.RATE_LIMIT_ANALYZE,
  key: (c) => c.get("principal").userId,
};
