import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { type BlobTokenPayload, signBlobToken, verifyBlobToken } from "../../shared/blob/signed-url.ts";

const SECRET = "a-secret-of-at-least-thirty-two-chars";
const now = Math.floor(Date.now() / 1000);
const key = "t/6f1c9f5e-2b7a-4d0e-8c3b-1a2b3c4d5e6f/uploads/doc";

function flipChar(text: string, index: number): string {
  const c = text[index] === "A" ? "B" : "A";
  return text.slice(0, index) + c + text.slice(index + 1);
}

describe("signed blob tokens", () => {
  it("round-trips the payload for the operation it was signed for", () => {
    const payload: BlobTokenPayload = {
      op: "put",
      key,
      exp: now + 60,
      maxBytes: 1024,
      contentType: "text/plain",
    };
    const token = signBlobToken(payload, SECRET);
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(verifyBlobToken(token, SECRET, "put")).toEqual(payload);
    expect(verifyBlobToken(token, SECRET, "get")).toBeNull();
  });

  it("rejects expired tokens", () => {
    const token = signBlobToken({ op: "get", key, exp: now + 10 }, SECRET);
    expect(verifyBlobToken(token, SECRET, "get", now + 9)).not.toBeNull();
    expect(verifyBlobToken(token, SECRET, "get", now + 10)).toBeNull();
    expect(
      verifyBlobToken(signBlobToken({ op: "get", key, exp: now - 1 }, SECRET), SECRET, "get"),
    ).toBeNull();
  });

  it("rejects tampered payloads, signatures, other secrets and malformed tokens", () => {
    const token = signBlobToken({ op: "put", key, exp: now + 60, maxBytes: 10 }, SECRET);
    const [payload, signature] = token.split(".") as [string, string];
    const widened = Buffer.from(
      JSON.stringify({ op: "put", key, exp: now + 60, maxBytes: 10_000_000 }),
    ).toString("base64url");

    expect(verifyBlobToken(`${widened}.${signature}`, SECRET, "put")).toBeNull();
    expect(verifyBlobToken(`${flipChar(payload, 5)}.${signature}`, SECRET, "put")).toBeNull();
    expect(verifyBlobToken(`${payload}.${flipChar(signature, 3)}`, SECRET, "put")).toBeNull();
    expect(verifyBlobToken(`${payload}.${signature.slice(0, -2)}`, SECRET, "put")).toBeNull();
    expect(verifyBlobToken(token, "another-secret-of-thirty-two-chars!", "put")).toBeNull();
    for (const malformed of ["", ".", payload, `${token}.x`, "not base64!.@@"]) {
      expect(verifyBlobToken(malformed, SECRET, "put"), malformed).toBeNull();
    }
  });

  it("refuses to sign or accept a key outside the grammar", () => {
    expect(() => signBlobToken({ op: "get", key: "../etc/passwd", exp: now + 60 }, SECRET)).toThrow();
    const encoded = Buffer.from(JSON.stringify({ op: "get", key: "../etc/passwd", exp: now + 60 })).toString(
      "base64url",
    );
    // A correctly signed token (as if the secret leaked to an older signer) with a bad key still fails.
    const mac = createHmac("sha256", SECRET).update(`quarry-blob-url.v1.${encoded}`).digest("base64url");
    expect(verifyBlobToken(`${encoded}.${mac}`, SECRET, "get")).toBeNull();
  });
});
