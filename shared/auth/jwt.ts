import { randomUUID } from "node:crypto";
import { type JWTPayload, jwtVerify, SignJWT } from "jose";
import type { Role } from "../../db/types.ts";
import { ALLOWED_ALGORITHMS, type KeySet } from "./keys.ts";

/** RFC 9068 access-token type: a token of another type (an ID token, say) is never accepted. */
const ACCESS_TOKEN_TYPE = "at+jwt";

export interface AccessClaims {
  userId: string;
  tenantId: string;
  role: Role;
  tokenVersion: number;
}

export interface TokenSettings {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

export async function signAccessToken(
  keys: KeySet,
  settings: TokenSettings,
  claims: AccessClaims,
): Promise<string> {
  return new SignJWT({ tid: claims.tenantId, role: claims.role, ver: claims.tokenVersion })
    .setProtectedHeader({ alg: keys.signing.alg, kid: keys.signing.kid, typ: ACCESS_TOKEN_TYPE })
    .setSubject(claims.userId)
    .setIssuer(settings.issuer)
    .setAudience(settings.audience)
    .setIssuedAt()
    .setExpirationTime(`${settings.ttlSeconds}s`)
    .setJti(randomUUID())
    .sign(keys.signing.key);
}

export interface VerifiedAccessToken {
  userId: string;
  tenantId: string;
  tokenVersion: number;
  /** Epoch milliseconds. */
  expiresAt: number;
}

function isAccessPayload(
  payload: JWTPayload,
): payload is JWTPayload & { sub: string; tid: string; ver: number } {
  return typeof payload.sub === "string" && typeof payload.tid === "string" && Number.isInteger(payload.ver);
}

/** Verifies signature, `kid`, algorithm, `typ`, issuer, audience and expiry; returns null when any fails. */
export async function verifyAccessToken(
  keys: KeySet,
  settings: Omit<TokenSettings, "ttlSeconds">,
  token: string,
): Promise<VerifiedAccessToken | null> {
  try {
    const { payload } = await jwtVerify(
      token,
      (header) => {
        const key = header.kid ? keys.verification.get(header.kid) : undefined;
        if (!key || key.alg !== header.alg) throw new Error("unknown key");
        return key.key;
      },
      {
        issuer: settings.issuer,
        audience: settings.audience,
        algorithms: [...ALLOWED_ALGORITHMS],
        typ: ACCESS_TOKEN_TYPE,
        requiredClaims: ["exp", "iat", "sub"],
      },
    );
    if (!isAccessPayload(payload)) return null;
    return {
      userId: payload.sub,
      tenantId: payload.tid,
      tokenVersion: payload.ver,
      expiresAt: (payload.exp ?? 0) * 1000,
    };
  } catch {
    return null;
  }
}
