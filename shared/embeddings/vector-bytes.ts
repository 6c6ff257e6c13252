import { endianness } from "node:os";

const littleEndian = endianness() === "LE";

/** A vector as stored in `embeddings.vector`: float32, little-endian. */
export function vectorToBytes(vector: Float32Array): Buffer {
  if (littleEndian)
    return Buffer.from(vector.buffer.slice(vector.byteOffset, vector.byteOffset + vector.byteLength));
  const bytes = Buffer.allocUnsafe(vector.length * 4);
  for (let i = 0; i < vector.length; i++) bytes.writeFloatLE(vector[i] as number, i * 4);
  return bytes;
}

/** Reads an `embeddings.vector` value; always a copy, so the driver's buffer can be released. */
export function bytesToVector(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 4 !== 0)
    throw new Error(`vector has ${bytes.byteLength} bytes, not a multiple of 4`);
  const vector = new Float32Array(bytes.byteLength / 4);
  readVectorInto(bytes, vector);
  return vector;
}

/** Decodes `bytes` into `into` (which must be exactly as long), without allocating: for bulk loads. */
export function readVectorInto(bytes: Uint8Array, into: Float32Array): void {
  if (bytes.byteLength !== into.byteLength) {
    throw new Error(`vector has ${bytes.byteLength} bytes, expected ${into.byteLength}`);
  }
  if (littleEndian) {
    new Uint8Array(into.buffer, into.byteOffset, into.byteLength).set(bytes);
    return;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < into.length; i++) into[i] = view.getFloat32(i * 4, true);
}
