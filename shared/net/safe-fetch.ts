import { type IncomingMessage, request } from "node:http";
import { isIP, type Socket } from "node:net";
import type { Readable, Transform } from "node:stream";
import { connect as tlsConnect } from "node:tls";
import { createBrotliDecompress, createGunzip, createInflate } from "node:zlib";
import { mediaType } from "../http/media-type.ts";
import { BlockedUrlError, UrlFetchError } from "./errors.ts";
import { type Network, systemNetwork } from "./network.ts";
import { checkAddress, type GuardedUrl, guardUrl, type TrustedAddresses } from "./url-guard.ts";

/** Content types a document may be served as (the bytes are sniffed again before extraction). */
export const DOCUMENT_CONTENT_TYPES = [
  "text/html",
  "application/xhtml+xml",
  "text/plain",
  "text/markdown",
  "text/x-markdown",
  "text/csv",
  "application/json",
  "application/pdf",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
] as const;

export interface SafeFetchOptions {
  /** Largest body accepted (after decompression). */
  maxBytes: number;
  /** Per TCP connection (and TLS handshake). */
  connectTimeoutMs: number;
  /** The whole fetch: every redirect, connection and the body. */
  timeoutMs: number;
  maxRedirects: number;
  allowedContentTypes?: readonly string[];
  network?: Network;
  /** Addresses treated as public although they are not. Tests only: never set from configuration. */
  trustedAddresses?: readonly string[];
}

export interface FetchedDocument {
  /** Where the document was finally found (after redirects). */
  url: string;
  /** Each redirect target, in order. */
  redirects: string[];
  contentType: string;
  bytes: Buffer;
}

/** Fetches http(s) URLs on behalf of users, refusing every non-public destination (SSRF guard). */
export interface SafeFetcher {
  fetch(url: string, signal?: AbortSignal): Promise<FetchedDocument>;
}

const PERMANENT_DNS_CODES = new Set(["ENOTFOUND", "ENODATA", "EAI_NONAME"]);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const USER_AGENT = "Quarry/1 (document analysis)";

/** Settles like `promise`, or rejects with the signal's reason first; a late result goes to `discard`. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal, discard: (value: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        if (signal.aborted) discard(value);
        else resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}

/** A signal that fires with `reason` after `ms`, or when `parent` does; `clear` stops the timer. */
function deadline(parent: AbortSignal | undefined, ms: number, reason: () => Error) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(reason()), ms);
  const signal = parent ? AbortSignal.any([parent, controller.signal]) : controller.signal;
  return { signal, clear: () => clearTimeout(timer) };
}

const DECODERS = new Map<string, () => Transform>([
  ["gzip", createGunzip],
  ["x-gzip", createGunzip],
  ["deflate", createInflate],
  ["br", createBrotliDecompress],
]);

/** The body, decompressed; a broken connection errors the decompressor too (pipe alone would not). */
function decoded(response: IncomingMessage): Readable {
  const encoding = (response.headers["content-encoding"] ?? "identity").trim().toLowerCase();
  if (encoding === "identity" || encoding === "") return response;
  const decoder = DECODERS.get(encoding);
  if (!decoder) {
    throw new UrlFetchError("encoding", `the server sent an unsupported content encoding (${encoding})`);
  }
  const stream = decoder();
  response.once("error", (error) => stream.destroy(error));
  response.once("aborted", () => stream.destroy(new Error("the connection broke")));
  return response.pipe(stream);
}

function resolveLocation(location: string, base: URL): URL {
  try {
    return new URL(location, base);
  } catch {
    throw new BlockedUrlError("invalid_url", "the server redirected to an invalid URL");
  }
}

export function createSafeFetcher(options: SafeFetchOptions): SafeFetcher {
  const network = options.network ?? systemNetwork;
  const trusted: TrustedAddresses = new Set(options.trustedAddresses ?? []);
  const allowedTypes = new Set(options.allowedContentTypes ?? DOCUMENT_CONTENT_TYPES);
  const tooLarge = () =>
    new UrlFetchError("too_large", `the document is larger than ${options.maxBytes} bytes`, false, {
      limit_bytes: options.maxBytes,
    });

  async function resolve(host: string, signal: AbortSignal): Promise<string[]> {
    try {
      return await abortable(network.resolve(host), signal, () => {});
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      const code = (error as NodeJS.ErrnoException).code ?? "error";
      throw new UrlFetchError("dns", `could not resolve ${host} (${code})`, !PERMANENT_DNS_CODES.has(code));
    }
  }

  /** Resolves (unless literal), checks every address, then connects to the first that answers. */
  async function connect(target: GuardedUrl, signal: AbortSignal): Promise<Socket> {
    const addresses = target.literal ? [target.literal] : await resolve(target.host, signal);
    if (addresses.length === 0) throw new UrlFetchError("dns", `${target.host} has no addresses`);
    for (const address of addresses) checkAddress(address, target.host, trusted);
    let lastError: unknown;
    for (const address of addresses) {
      const step = deadline(
        signal,
        options.connectTimeoutMs,
        () =>
          new UrlFetchError(
            "timeout",
            `could not connect to ${target.host} within ${options.connectTimeoutMs} ms`,
            true,
          ),
      );
      try {
        const socket = await abortable(network.connect(address, target.port), step.signal, (late) =>
          late.destroy(),
        );
        if (target.url.protocol === "http:") return socket;
        const tls = tlsConnect({
          socket,
          servername: isIP(target.host) === 0 ? target.host : undefined,
          ALPNProtocols: ["http/1.1"],
        });
        const secured = new Promise<Socket>((resolve, reject) => {
          tls.once("secureConnect", () => resolve(tls));
          tls.once("error", reject);
        });
        return await abortable(secured, step.signal, (late) => late.destroy()).catch((error: unknown) => {
          tls.destroy();
          throw error;
        });
      } catch (error) {
        if (signal.aborted) throw signal.reason;
        lastError = error;
      } finally {
        step.clear();
      }
    }
    if (lastError instanceof UrlFetchError) throw lastError;
    const why = lastError instanceof Error ? lastError.message : String(lastError);
    throw new UrlFetchError("connect", `could not connect to ${target.host}: ${why}`, true);
  }

  async function get(target: GuardedUrl, signal: AbortSignal): Promise<IncomingMessage> {
    const socket = await connect(target, signal);
    return new Promise<IncomingMessage>((resolve, reject) => {
      // The request rides on the socket opened to the checked address: nothing resolves the name again.
      const req = request({
        method: "GET",
        path: `${target.url.pathname}${target.url.search}`,
        headers: {
          host: target.url.host,
          "user-agent": USER_AGENT,
          accept: [...allowedTypes].join(", "),
          "accept-encoding": "gzip, deflate, br",
        },
        createConnection: () => socket,
        signal,
      });
      req.once("response", resolve);
      req.once("error", (error) => {
        socket.destroy();
        reject(signal.aborted ? signal.reason : error);
      });
      req.end();
    });
  }

  async function readBody(response: IncomingMessage, signal: AbortSignal): Promise<Buffer> {
    const declared = Number(response.headers["content-length"] ?? Number.NaN);
    if (declared > options.maxBytes) throw tooLarge();
    const parts: Buffer[] = [];
    let total = 0;
    try {
      for await (const part of decoded(response)) {
        total += (part as Buffer).length;
        if (total > options.maxBytes) throw tooLarge();
        parts.push(part as Buffer);
      }
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      if (error instanceof UrlFetchError) throw error;
      throw new UrlFetchError("protocol", "the connection broke while reading the document", true);
    }
    return Buffer.concat(parts);
  }

  return {
    async fetch(input, parentSignal) {
      const total = deadline(
        parentSignal,
        options.timeoutMs,
        () =>
          new UrlFetchError("timeout", `the URL did not answer in full within ${options.timeoutMs} ms`, true),
      );
      const { signal } = total;
      let response: IncomingMessage | undefined;
      try {
        let target = guardUrl(input, trusted);
        const redirects: string[] = [];
        for (;;) {
          response = await get(target, signal);
          const status = response.statusCode ?? 0;
          if (!REDIRECTS.has(status)) break;
          const location = response.headers.location;
          response.destroy();
          if (!location)
            throw new UrlFetchError("protocol", `the server answered ${status} without a Location`);
          if (redirects.length >= options.maxRedirects) {
            throw new UrlFetchError(
              "too_many_redirects",
              `more than ${options.maxRedirects} redirects`,
              false,
              {
                redirects,
              },
            );
          }
          const next = resolveLocation(location, target.url);
          redirects.push(next.href);
          target = guardUrl(next, trusted);
        }
        const status = response.statusCode ?? 0;
        if (status < 200 || status > 299) {
          throw new UrlFetchError(
            "status",
            `the server answered ${status}`,
            status >= 500 || status === 429,
            {
              status,
            },
          );
        }
        const contentType = mediaType(response.headers["content-type"]);
        if (!allowedTypes.has(contentType)) {
          throw new UrlFetchError(
            "content_type",
            `the URL serves ${contentType || "an undeclared type"}, not a document Quarry reads`,
            false,
            { content_type: contentType, accepted: [...allowedTypes] },
          );
        }
        const bytes = await readBody(response, signal);
        return { url: target.url.href, redirects, contentType, bytes };
      } catch (error) {
        throw signal.aborted && !(error instanceof UrlFetchError) ? signal.reason : error;
      } finally {
        response?.destroy();
        total.clear();
      }
    },
  };
}
