import { createHash } from "node:crypto";
import type { Readable } from "node:stream";
import { BlobTooLargeError } from "./errors.ts";
import type { BlobBody, PutResult } from "./port.ts";

/** Counts and hashes bytes as they pass, failing as soon as the limit is crossed. */
export class ByteMeter {
  size = 0;
  private readonly hash = createHash("sha256");

  constructor(private readonly maxBytes?: number) {}

  add(chunk: Uint8Array): void {
    this.size += chunk.byteLength;
    if (this.maxBytes !== undefined && this.size > this.maxBytes) throw new BlobTooLargeError(this.maxBytes);
    this.hash.update(chunk);
  }

  result(): PutResult {
    return { size: this.size, sha256: this.hash.digest("hex") };
  }
}

/** The body as a stream of byte chunks (a Uint8Array is one chunk; strings are UTF-8 encoded). */
export async function* chunksOf(body: BlobBody): AsyncGenerator<Uint8Array> {
  if (body instanceof Uint8Array) {
    yield body;
    return;
  }
  for await (const chunk of body as AsyncIterable<unknown>) {
    if (chunk instanceof Uint8Array) yield chunk;
    else if (typeof chunk === "string") yield Buffer.from(chunk);
    else throw new TypeError("blob body streams must yield bytes");
  }
}

/** `body`'s chunks, each counted and hashed by `meter` before it is passed on. */
export async function* metered(body: BlobBody, meter: ByteMeter): AsyncGenerator<Uint8Array> {
  for await (const chunk of chunksOf(body)) {
    meter.add(chunk);
    yield chunk;
  }
}

/** Reads a whole stream into memory, stopping (and destroying it) past `maxBytes`. */
export async function readAll(stream: Readable, maxBytes?: number): Promise<Buffer> {
  const meter = new ByteMeter(maxBytes);
  const chunks: Uint8Array[] = [];
  for await (const chunk of chunksOf(stream)) {
    meter.add(chunk);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** Headers a signed PUT must carry: the signed Content-Type, when there is one. */
export function signedPutHeaders(contentType: string | undefined): Record<string, string> {
  return contentType ? { "content-type": contentType } : {};
}
