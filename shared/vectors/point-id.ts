import { createHash } from "node:crypto";

/** Quarry's namespace for point ids; changing it would orphan every point of every index. */
export const POINT_ID_NAMESPACE = "8c1f5a2e-3b7d-5e4a-9f60-1d2c3b4a5e6f";

function uuidBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, "");
  if (!/^[0-9a-f]{32}$/i.test(hex)) throw new Error(`not a UUID: ${uuid}`);
  return Buffer.from(hex, "hex");
}

/** RFC 9562 version 5 (SHA-1, name-based) UUID. */
export function uuidv5(name: string, namespace: string): string {
  const digest = createHash("sha1").update(uuidBytes(namespace)).update(name, "utf8").digest();
  const bytes = digest.subarray(0, 16);
  bytes[6] = ((bytes[6] as number) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] as number) & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The point of chunk `idx` of a document under a model: the same on every re-index, so upserts replace. */
export function pointId(documentId: string, idx: number, model: string): string {
  return uuidv5(`${documentId}:${idx}:${model}`, POINT_ID_NAMESPACE);
}
