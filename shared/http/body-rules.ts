import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { SIGNED_BLOB_PATH } from "../blob/signed-url.ts";
import { ApiError } from "../errors.ts";
import type { AppEnv } from "./app-env.ts";

/** The unread body is still on the socket: close it rather than let the next request read garbage. */
const CLOSE = { Connection: "close" };
const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH", "DELETE"]);
const ACCEPTED_TYPES = ["application/json", "multipart/form-data"];

function hasBody(headers: Headers): boolean {
  const length = headers.get("content-length");
  return (length !== null && length !== "0") || headers.has("transfer-encoding");
}

/**
 * 415 for a body in a type no route takes; 413 for a JSON body over the limit.
 * Multipart bodies are streamed by the routes that take them, under their own (larger) limit.
 */
export function bodyRules(maxJsonBytes: number): MiddlewareHandler<AppEnv> {
  const limitJson = bodyLimit({
    maxSize: maxJsonBytes,
    onError: () => {
      throw new ApiError(
        "payload_too_large",
        `request body exceeds ${maxJsonBytes} bytes`,
        {
          limit_bytes: maxJsonBytes,
        },
        CLOSE,
      );
    },
  });
  const checkBody: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (!hasBody(c.req.raw.headers)) return next();
    // A signed blob PUT carries the file itself, in any type, streamed under the token's own limit.
    if (c.req.method === "PUT" && c.req.path.startsWith(SIGNED_BLOB_PATH)) return next();
    const type = (c.req.header("content-type") ?? "").split(";", 1)[0]?.trim().toLowerCase() ?? "";
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
    if (type === "multipart/form-data") return next();
    return limitJson(c, next);
  };
  // A plain function: a bodiless request passes straight on, without an async frame of its own.
  return (c, next) => (METHODS_WITH_BODY.has(c.req.method) ? checkBody(c, next) : next());
}
