import { isIP } from "node:net";
import { BlockedUrlError } from "./errors.ts";
import { classifyAddress, describeAddress } from "./ip-address.ts";

/** A URL that passed the static checks: what to resolve (or the literal address) and where to connect. */
export interface GuardedUrl {
  url: URL;
  /** Host name or IP literal, without IPv6 brackets or a trailing dot. */
  host: string;
  port: number;
  /** The host itself when it is an IP literal (already checked), else null: resolve and check. */
  literal: string | null;
}

/** Addresses accepted although they are not public: only ever given by tests. */
export type TrustedAddresses = ReadonlySet<string>;

const NO_TRUSTED: TrustedAddresses = new Set();

/** Refuses `address` unless it is public (or trusted); `host` names what resolved to it, for the message. */
export function checkAddress(address: string, host: string, trusted: TrustedAddresses = NO_TRUSTED): void {
  if (trusted.has(address)) return;
  const cls = classifyAddress(address);
  if (!cls) {
    throw new BlockedUrlError("address", `${host} resolved to ${JSON.stringify(address)}, not an IP address`);
  }
  if (cls.kind === "public") return;
  const subject = host === address ? address : `${host} resolves to ${address}, which`;
  throw new BlockedUrlError("address", `${subject} is ${describeAddress(cls)}`, {
    address,
    address_kind: cls.kind,
  });
}

/**
 * The checks that need no network: an http(s) URL without credentials, not naming localhost, and, when
 * the host is an IP literal, a public one. The WHATWG parser turns decimal, hex, octal and short IPv4
 * forms (`2130706433`, `0x7f.1`, `0177.0.0.1`, `127.1`) into dotted quads before the address is checked.
 */
export function guardUrl(input: string | URL, trusted: TrustedAddresses = NO_TRUSTED): GuardedUrl {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new BlockedUrlError("invalid_url", "not a valid absolute URL");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new BlockedUrlError("scheme", `only http and https URLs are fetched (got ${url.protocol})`, {
      scheme: url.protocol.slice(0, -1),
    });
  }
  if (url.username !== "" || url.password !== "") {
    throw new BlockedUrlError("credentials", "URLs with a user name or password are not fetched");
  }
  const bare = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const host = bare.endsWith(".") ? bare.slice(0, -1) : bare;
  if (host === "") throw new BlockedUrlError("invalid_url", "the URL has no host");
  const port = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port);
  if (isIP(host) !== 0) {
    checkAddress(host, host, trusted);
    return { url, host, port, literal: host };
  }
  const name = host.toLowerCase();
  if (name === "localhost" || name.endsWith(".localhost")) {
    throw new BlockedUrlError("hostname", `${name} names this machine (loopback)`, { host: name });
  }
  return { url, host: name, port, literal: null };
}
