import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { exportJWK, generateKeyPair, importJWK, type CryptoKey as JoseKey, type JWK } from "jose";

/** Signing algorithms we accept; anything else (including `none`) is refused. */
export const ALLOWED_ALGORITHMS = ["EdDSA", "ES256"] as const;
type Algorithm = (typeof ALLOWED_ALGORITHMS)[number];

export interface VerificationKey {
  kid: string;
  alg: Algorithm;
  key: JoseKey | Uint8Array;
}

export interface KeySet {
  /** Signs new tokens: the first key of the configured set. */
  signing: VerificationKey;
  /** Every key whose tokens are still accepted (active + next/previous), by `kid`. */
  verification: Map<string, VerificationKey>;
  /** The public half of each key, as published at the JWKS route. */
  jwks: { keys: JWK[] };
}

function publicPart(jwk: JWK): JWK {
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rest } = jwk;
  return { ...rest, use: "sig" };
}

function assertUsable(jwk: JWK, index: number): asserts jwk is JWK & { kid: string; alg: Algorithm } {
  if (typeof jwk.kid !== "string" || jwk.kid === "") throw new Error(`JWT_KEYS[${index}]: kid is required`);
  if (!ALLOWED_ALGORITHMS.includes(jwk.alg as Algorithm)) {
    throw new Error(`JWT_KEYS[${index}]: alg must be one of ${ALLOWED_ALGORITHMS.join(", ")}`);
  }
}

/**
 * Builds the key set from JWKs: the first must be private (it signs); the others may be public only.
 * Rotation: publish the next key second, then move it first once every function has the new set.
 */
export async function keySetFromJwks(jwks: JWK[]): Promise<KeySet> {
  if (jwks.length === 0) throw new Error("JWT_KEYS: at least one key is required");
  const verification = new Map<string, VerificationKey>();
  let signing: VerificationKey | undefined;
  for (const [index, jwk] of jwks.entries()) {
    assertUsable(jwk, index);
    const publicKey = await importJWK(publicPart(jwk), jwk.alg);
    verification.set(jwk.kid, { kid: jwk.kid, alg: jwk.alg, key: publicKey });
    if (index === 0) {
      if (!jwk.d) throw new Error("JWT_KEYS[0]: the signing key must include its private part");
      signing = { kid: jwk.kid, alg: jwk.alg, key: await importJWK(jwk, jwk.alg) };
    }
  }
  return { signing: signing as VerificationKey, verification, jwks: { keys: jwks.map(publicPart) } };
}

export async function generateSigningJwk(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair("EdDSA", { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: "EdDSA" };
}

function parseConfiguredKeys(text: string): JWK[] {
  const parsed: unknown = JSON.parse(text);
  if (Array.isArray(parsed)) return parsed as JWK[];
  if (parsed && typeof parsed === "object" && Array.isArray((parsed as { keys?: unknown }).keys)) {
    return (parsed as { keys: JWK[] }).keys;
  }
  throw new Error("JWT_KEYS must be a JSON array of JWKs or a JWK set {keys: [...]}");
}

/** `JWT_KEYS` when given; otherwise a key generated once and kept in the data directory (embedded mode). */
export async function loadKeySet(
  configuredKeys: string | undefined,
  embeddedKeyFile: string,
): Promise<KeySet> {
  if (configuredKeys) return keySetFromJwks(parseConfiguredKeys(configuredKeys));
  if (!existsSync(embeddedKeyFile)) {
    mkdirSync(dirname(embeddedKeyFile), { recursive: true });
    const jwk = await generateSigningJwk(`embedded-${Date.now().toString(36)}`);
    try {
      writeFileSync(embeddedKeyFile, JSON.stringify({ keys: [jwk] }), { mode: 0o600, flag: "wx" });
    } catch (error) {
      // Another process of this deployment wrote it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
  return keySetFromJwks(parseConfiguredKeys(readFileSync(embeddedKeyFile, "utf8")));
}
