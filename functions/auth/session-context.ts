import type { Context, MiddlewareHandler } from "hono";
import { ApiError } from "../../shared/errors.ts";
import type { AppEnv } from "../../shared/http/app-env.ts";
import { clientIp } from "../../shared/http/client-ip.ts";
import type { ClientInfo, SessionIssuer } from "../../shared/services/sessions.ts";

export function sessionIssuer(c: Context<AppEnv>): SessionIssuer {
  const { keys, config } = c.get("deps");
  return {
    keys,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
    accessTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
    refreshTtlSeconds: config.REFRESH_TOKEN_TTL_SECONDS,
  };
}

export function clientInfo(c: Context<AppEnv>): ClientInfo {
  return { userAgent: c.req.header("user-agent")?.slice(0, 512) ?? null, ip: clientIp(c) };
}

/**
 * After `requireRole`: refuses personal tokens. Minting tokens and changing the password need a login
 * session, so a leaked personal token cannot make itself permanent or lock its owner out.
 */
export function requireSessionToken(action: string): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.get("principal").via !== "access_token") {
      throw new ApiError("forbidden", `a personal access token cannot ${action}; log in to do it`);
    }
    await next();
  };
}
