import { ApiError } from "../errors.ts";

/** Why the guard refused a URL. */
export type BlockReason = "invalid_url" | "scheme" | "credentials" | "hostname" | "address";

/**
 * The URL guard refused to fetch a URL: it is not http(s), or it names (or resolves to, or redirects to)
 * an address that is not public. A 422 at submission; the job's error otherwise.
 */
export class BlockedUrlError extends ApiError {
  constructor(
    readonly reason: BlockReason,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super("validation_failed", `URL refused: ${message}`, { reason, ...details });
    this.name = "BlockedUrlError";
  }
}

export type FetchFailure =
  | "dns"
  | "connect"
  | "timeout"
  | "too_many_redirects"
  | "status"
  | "content_type"
  | "too_large"
  | "encoding"
  | "protocol";

/**
 * Fetching an allowed URL did not give a usable document. `transient` failures (timeouts, refused
 * connections, 5xx and 429 answers) may succeed on a later attempt; the others will not.
 */
export class UrlFetchError extends ApiError {
  constructor(
    readonly failure: FetchFailure,
    message: string,
    readonly transient = false,
    details: Record<string, unknown> = {},
  ) {
    super(failure === "too_large" ? "payload_too_large" : "validation_failed", message, {
      reason: failure,
      ...details,
    });
    this.name = "UrlFetchError";
  }
}
