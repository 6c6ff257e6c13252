import type { IncomingMessage } from "node:http";
import type { Context, MiddlewareHandler } from "hono";
import { SIGNED_BLOB_PATH } from "../blob/signed-url.ts";
import { ApiError } from "../errors.ts";
import type { AppEnv } from "./app-env.ts";
import { nodeBindings, requestHeader, requestMediaType } from "./node-bindings.ts";
import { refuseUnstorableText } from "./unstorable-text.ts";

/** The unread body is still on the socket: close it rather than let the next request read garbage. */
const CLOSE = { Connection: "close" };
const ACCEPTED_TYPES = ["application/json", "multipart/form-data"];

/** Whether the request says it carries a body (a length above 0, or chunks). */
export function hasBody(c: Context): boolean {
  const length = requestHeader(c, "content-length");
  return (length !== undefined && length !== "0") || requestHeader(c, "transfer-encoding") !== undefined;
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(
    "payload_too_large",
    `request body exceeds ${maxBytes} bytes`,
    { limit_bytes: maxBytes },
    CLOSE,
  );
}

/** Node's request body, whole; null once it passes `maxBytes` (reading stops there). */
function readIncoming(incoming: IncomingMessage, maxBytes: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      incoming.off("data", onData);
      incoming.pause();
      resolve(null);
    };
    incoming.on("data", onData);
    incoming.once("end", () => resolve(Buffer.concat(chunks, size)));
    incoming.once("error", () =>
      reject(new ApiError("bad_request", "the request body was cut off before its end", {}, CLOSE)),
    );
  });
}

/**
 * Reads a JSON body whole (413 past `maxBytes`) into Hono's body cache, where `c.req.json()`, the
 * validators and the idempotency fingerprint read it. It is read from Node's request when there is one:
 * through the WHATWG `Request` and its body streams, a small POST cost about five times as much.
 */
async function bufferJsonBody(c: Context, maxBytes: number): Promise<void> {
  if (Number(requestHeader(c, "content-length")) > maxBytes) throw tooLarge(maxBytes);
  const incoming = nodeBindings(c).incoming;
  const body = incoming
    ? await readIncoming(incoming, maxBytes)
    : new Uint8Array(await c.req.raw.arrayBuffer());
  if (body === null || body.byteLength > maxBytes) throw tooLarge(maxBytes);
  const bytes = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength);
  // Hono keeps promises in its body cache, although its type names the values.
  c.req.bodyCache.arrayBuffer = Promise.resolve(bytes) as never;
  const text = new TextDecoder().decode(body);
  refuseUnstorableText(text);
  c.req.bodyCache.text = Promise.resolve(text) as never;
}

/**
 * 415 for a body in a type no route takes; 413 for a JSON body over the limit; 422 for a JSON body
 * holding text Postgres cannot store. For the methods that may carry a body (`createApp` mounts it for
 * those).
 * Multipart bodies are streamed by the routes that take them, under their own (larger) limit.
 */
export function bodyRules(maxJsonBytes: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!hasBody(c)) return next();
    // A signed blob PUT carries the file itself, in any type, streamed under the token's own limit.
    if (c.req.method === "PUT" && c.req.path.startsWith(SIGNED_BLOB_PATH)) return next();
    const type = requestMediaType(c);
    if (!ACCEPTED_TYPES.includes(type)) {
      throw new ApiError(
        "unsupported_media_type",
        `content type ${type || "(none)"} is not accepted`,
        {
          accepted: ACCEPTED_TYPES,
        },
        CLOSE,
      );
    }
    if (type === "application/json") await bufferJsonBody(c, maxJsonBytes);
    return next();
  };
}
