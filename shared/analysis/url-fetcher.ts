import type { Config } from "../config/index.ts";
import type { Network } from "../net/network.ts";
import { createSafeFetcher, type SafeFetcher } from "../net/safe-fetch.ts";

type FetchConfig = Pick<
  Config,
  | "ANALYZE_MAX_SOURCE_BYTES"
  | "ANALYZE_FETCH_TIMEOUT_MS"
  | "ANALYZE_CONNECT_TIMEOUT_MS"
  | "ANALYZE_MAX_REDIRECTS"
>;

/**
 * The fetcher of URL sources, with the configured limits. `network` and `trustedAddresses` exist for
 * tests (a pinned resolver, a loopback-only connect); production uses the system's and trusts nothing.
 */
export function analysisFetcher(
  config: FetchConfig,
  testing: { network?: Network; trustedAddresses?: string[] } = {},
): SafeFetcher {
  return createSafeFetcher({
    maxBytes: config.ANALYZE_MAX_SOURCE_BYTES,
    timeoutMs: config.ANALYZE_FETCH_TIMEOUT_MS,
    connectTimeoutMs: config.ANALYZE_CONNECT_TIMEOUT_MS,
    maxRedirects: config.ANALYZE_MAX_REDIRECTS,
    ...testing,
  });
}
