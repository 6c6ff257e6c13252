import type { Context, Next } from "hono";
import type { StatusCode } from "hono/utils/http-status";
import { requestPrincipal } from "../auth/authenticate.ts";
import type { Deps } from "../deps.ts";
import { ApiError } from "../errors.ts";
import type { AppEnv } from "../http/app-env.ts";
import { mediaType } from "../http/media-type.ts";
import { requestHeader } from "../http/node-bindings.ts";
import { requestLog } from "../http/request-context.ts";
import { requestFingerprint, scopedIdempotencyKey } from "./fingerprint.ts";
import type { IdempotencyRecord, StoredResponse } from "./port.ts";

const KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;
/** Headers that describe the stored result itself; per-request ones (request id, rate limits) are not kept. */
const REPLAYED_HEADERS = [
  "content-type",
  "content-language",
  "content-location",
  "location",
  "etag",
  "last-modified",
  "link",
];
/**
 * How long a claim stays "in flight" when its process dies before completing or releasing it: retries
 * get 409 until then. A request running longer than this could be run twice.
 */
const IN_FLIGHT_TTL_MS = 15 * 60_000;

/**
 * Set to `skipped` on a response served without idempotency protection because the store was
 * unreachable: a retry of that request may run it again.
 */
export const IDEMPOTENCY_STATUS_HEADER = "Idempotency-Status";
export const REPLAYED_HEADER = "Idempotent-Replayed";

function parseKey(header: string): string {
  // The draft makes the field a structured-field string ("…"); a bare value is accepted as well.
  const key =
    header.length >= 2 && header.startsWith('"') && header.endsWith('"') ? header.slice(1, -1) : header;
  if (!KEY_PATTERN.test(key)) {
    throw new ApiError("bad_request", "Idempotency-Key must be 1 to 255 printable ASCII characters");
  }
  return key;
}

/** Only text bodies are kept: no streams, no binary. An empty body (204) has no content type. */
function storable(res: Response): boolean {
  const type = mediaType(res.headers.get("content-type"));
  if (type === "text/event-stream") return false;
  return type === "" || type.startsWith("text/") || type === "application/json" || type.endsWith("+json");
}

/**
 * Responses that say the request did not run to a result (a failure, a rate limit) are not kept,
 * so that a retry with the same key runs it.
 */
function worthKeeping(res: Response): boolean {
  return res.status < 500 && res.status !== 429 && storable(res);
}

function replay(c: Context<AppEnv>, existing: IdempotencyRecord, fingerprint: string): Response {
  if (existing.fingerprint !== fingerprint) {
    throw new ApiError(
      "idempotency_key_mismatch",
      "this Idempotency-Key was already used with a different request body",
    );
  }
  if (existing.state === "in_flight") {
    throw new ApiError(
      "conflict",
      "a request with this Idempotency-Key is still being processed",
      {},
      {
        "Retry-After": "1",
      },
    );
  }
  const { status, headers, body } = existing.response;
  return c.newResponse(body === "" ? null : body, {
    status: status as StatusCode,
    headers: { ...headers, [REPLAYED_HEADER]: "true" },
  });
}

async function storedResponse(res: Response): Promise<StoredResponse> {
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = res.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  return { status: res.status, headers, body: await res.clone().text() };
}

function markSkipped(c: Context<AppEnv>, deps: Deps, error: unknown): void {
  deps.metrics.idempotencySkipped.inc();
  requestLog(c).debug({ err: error }, "idempotency store unreachable, request not protected");
  c.header(IDEMPOTENCY_STATUS_HEADER, "skipped");
}

/**
 * `Idempotency-Key` on POST/PUT/PATCH/DELETE, the methods `createApp` mounts it for
 * (draft-ietf-httpapi-idempotency-key-header), scoped by principal + method + path + key: the first
 * request runs and its response is kept for IDEMPOTENCY_TTL_SECONDS; a retry with the same body gets
 * that response again with `Idempotent-Replayed: true`; another body under the same key → 422
 * `idempotency_key_mismatch`; a retry while the first still runs → 409 with Retry-After. Streams, 5xx
 * and 429 are not kept. Without a valid bearer token there is no principal to scope to and the route's
 * own 401 answers.
 */
export async function idempotency(c: Context<AppEnv>, next: Next): Promise<Response | undefined> {
  const header = requestHeader(c, "idempotency-key");
  if (header === undefined) {
    await next();
    return undefined;
  }
  const key = parseKey(header);
  const deps = c.get("deps");
  const principal = await requestPrincipal(c);
  if (!principal) {
    await next();
    return undefined;
  }

  const recordKey = scopedIdempotencyKey({
    userId: principal.userId,
    method: c.req.method,
    path: c.req.path,
    key,
  });
  const fingerprint = await requestFingerprint(c);
  let existing: IdempotencyRecord | null;
  try {
    existing = await deps.idempotency.claim(
      recordKey,
      fingerprint,
      Math.min(deps.config.IDEMPOTENCY_TTL_SECONDS * 1000, IN_FLIGHT_TTL_MS),
    );
  } catch (error) {
    await next();
    markSkipped(c, deps, error);
    return undefined;
  }
  if (existing) return replay(c, existing, fingerprint);

  await next();
  try {
    if (worthKeeping(c.res)) {
      const response = await storedResponse(c.res);
      await deps.idempotency.complete(
        recordKey,
        { state: "done", fingerprint, response },
        deps.config.IDEMPOTENCY_TTL_SECONDS * 1000,
      );
    } else {
      await deps.idempotency.release(recordKey);
    }
  } catch (error) {
    markSkipped(c, deps, error);
  }
  return undefined;
}
