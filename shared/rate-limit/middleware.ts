import type { Context, MiddlewareHandler } from "hono";
import type { RatePolicy } from "../config/index.ts";
import type { Deps } from "../deps.ts";
import { ApiError } from "../errors.ts";
import type { AppEnv } from "../http/app-env.ts";
import { setResponseHeader } from "../http/node-bindings.ts";
import { requestLog } from "../http/request-context.ts";
import type { RateLimitDecision } from "./port.ts";

export interface RateLimitRule {
  /** Names the policy in headers, metrics and keys: "login", "upload", "default"… */
  name: string;
  policy: (config: Deps["config"]) => RatePolicy;
  /** Who is counted: a user id, an IP + login… */
  key: (c: Context<AppEnv>) => string | Promise<string>;
}

/** IETF RateLimit-Policy / RateLimit header fields (draft-ietf-httpapi-ratelimit-headers). */
function rateLimitHeaders(
  name: string,
  policy: RatePolicy,
  decision: RateLimitDecision,
): Record<string, string> {
  const resetSeconds = Math.max(0, Math.ceil((decision.resetAt - Date.now()) / 1000));
  return {
    "RateLimit-Policy": `"${name}";q=${policy.limit};w=${policy.windowSeconds}`,
    RateLimit: `"${name}";r=${decision.remaining};t=${resetSeconds}`,
  };
}

/**
 * Counts the request under `rule`; 429 with Retry-After past the limit. When the store is unreachable
 * the request is let through (fail open) and counted in `rate_limit_fail_open_total`.
 */
export async function enforceRateLimit(c: Context<AppEnv>, rule: RateLimitRule): Promise<void> {
  const deps = c.get("deps");
  const policy = rule.policy(deps.config);
  let decision: RateLimitDecision;
  try {
    decision = await deps.rateLimiter.check(`${rule.name}:${await rule.key(c)}`, policy);
  } catch (error) {
    deps.metrics.rateLimitFailOpen.inc();
    requestLog(c).debug({ err: error, policy: rule.name }, "rate limit store unreachable, failing open");
    return;
  }
  const headers = rateLimitHeaders(rule.name, policy, decision);
  if (!decision.allowed) {
    deps.metrics.rateLimitRejections.inc({ policy: rule.name });
    const retryAfter = Math.max(1, Math.ceil((decision.resetAt - Date.now()) / 1000));
    throw new ApiError(
      "rate_limited",
      "too many requests, retry later",
      { policy: rule.name, retry_after_seconds: retryAfter },
      { ...headers, "Retry-After": String(retryAfter) },
    );
  }
  for (const [name, value] of Object.entries(headers)) setResponseHeader(c, name, value);
}

export function rateLimit(rule: RateLimitRule): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await enforceRateLimit(c, rule);
    await next();
  };
}
