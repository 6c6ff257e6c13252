import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context } from "hono";
import { mediaType } from "./media-type.ts";

/**
 * What @hono/node-server passes as `c.env`; absent when an app is called in-process (`app.request`).
 * The middleware every request passes through works on these Node objects where it can: reaching for
 * the WHATWG side (`c.req.header()`, `c.req.raw.body`, `c.req.raw.signal`) makes the adapter build a
 * `Headers`, or a whole `Request` with body streams, which costs more than the rest of a small request.
 */
interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

export function nodeBindings(c: Context): NodeBindings {
  return (c.env as NodeBindings | undefined) ?? {};
}

/** A request header, read from Node's own header object when there is one. */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = nodeBindings(c).incoming;
  if (!incoming) return c.req.header(name);
  const value = incoming.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

/** The request's media type (`mediaType` of its Content-Type), read from Node's headers when there are some. */
export function requestMediaType(c: Context): string {
  return mediaType(requestHeader(c, "content-type"));
}

/**
 * A response header for whatever response this request ends with (set on Node's response, which merges it
 * into the head it writes), without making Hono keep a WHATWG `Headers` for the response.
 */
export function setResponseHeader(c: Context, name: string, value: string): void {
  const outgoing = nodeBindings(c).outgoing;
  if (outgoing) outgoing.setHeader(name, value);
  else c.header(name, value);
}

/** Calls `listener` once if the client goes away before the response is complete. */
export function onClientDisconnect(c: Context, listener: () => void): void {
  const outgoing = nodeBindings(c).outgoing;
  if (outgoing) {
    outgoing.once("close", () => {
      if (!outgoing.writableFinished) listener();
    });
    return;
  }
  const signal = c.req.raw.signal;
  if (signal.aborted) listener();
  else signal.addEventListener("abort", listener, { once: true });
}
