import type { IncomingMessage, ServerResponse } from "node:http";
import type { Context } from "hono";

/** What @hono/node-server passes as `c.env`; absent when an app is called in-process (`app.request`). */
interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

function nodeBindings(c: Context): NodeBindings {
  return (c.env as NodeBindings | undefined) ?? {};
}

/**
 * A request header, read from Node's own header object when there is one. The middleware every request
 * passes through reads headers here: `c.req.header()` makes @hono/node-server build a WHATWG `Headers`
 * for the request, which costs more than the rest of a cached `/api/auth/me`.
 */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = nodeBindings(c).incoming;
  if (!incoming) return c.req.header(name);
  const value = incoming.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
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
