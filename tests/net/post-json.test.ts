import { createServer, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { freePort } from "../../shared/net/free-port.ts";
import { postJson } from "../../shared/net/post-json.ts";

const decoder = new TextDecoder();

/** Reads the body until `marker` has arrived, then stops (as the chat model stops at `[DONE]`). */
async function readUntil(body: AsyncIterable<Uint8Array>, marker: string): Promise<string> {
  let text = "";
  for await (const chunk of body) {
    text += decoder.decode(chunk, { stream: true });
    if (text.includes(marker)) break;
  }
  return text;
}

describe("postJson", () => {
  let server: Server;
  let base: string;
  /** The client port of each request's connection, in order. */
  let ports: number[] = [];
  let closedPorts: number[] = [];
  let answer: (res: ServerResponse, body: string) => void = () => {};

  beforeAll(async () => {
    server = createServer((req, res) => {
      ports.push(req.socket.remotePort ?? 0);
      let body = "";
      req.on("data", (chunk: Buffer) => {
        body += chunk.toString("utf8");
      });
      req.on("end", () => answer(res, body));
    });
    server.on("connection", (socket) => {
      const port = socket.remotePort ?? 0;
      socket.on("close", () => closedPorts.push(port));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  beforeEach(() => {
    ports = [];
    closedPorts = [];
  });

  const post = (body = '{"q":1}', signal = new AbortController().signal) =>
    postJson(new URL(`${base}/v1/chat/completions`), {
      headers: { "content-type": "application/json" },
      body,
      signal,
    });

  it("sends the JSON body and reads status, headers and text", async () => {
    answer = (res, body) => {
      res.writeHead(429, { "retry-after": "3", "content-type": "application/json" });
      res.end(JSON.stringify({ echoed: JSON.parse(body) }));
    };
    const response = await post('{"model":"m","stream":true}');
    expect(response.status).toBe(429);
    expect(response.ok).toBe(false);
    expect(response.header("Retry-After")).toBe("3");
    expect(response.header("x-missing")).toBeNull();
    expect(JSON.parse(await response.text())).toEqual({ echoed: { model: "m", stream: true } });
  });

  it("keeps the connection for the next call when stopped after the answer arrived in full", async () => {
    answer = (res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: one\n\n");
      res.write("data: [DONE]\n\n");
      // The end of the chunked body after a pause: read [DONE] first, the stop must still wait for it.
      setTimeout(() => res.end(), 20);
    };
    for (let i = 0; i < 3; i++) {
      const response = await post();
      expect(await readUntil(response.body, "[DONE]")).toContain("data: one");
      // Time for the end to arrive and the connection to go back to the pool.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(ports).toHaveLength(3);
    expect(new Set(ports).size).toBe(1);
  });

  it("closes the connection when the answer does not end soon after the reader stopped", async () => {
    answer = (res) => {
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write("data: one\n\n");
      // Never ended: only the client closing frees this response.
    };
    const response = await post();
    await readUntil(response.body, "one");
    await expect.poll(() => closedPorts).toContain(ports[0]);
  });

  it("rejects with the abort reason, and with the socket's error as the cause", async () => {
    answer = () => {};
    const controller = new AbortController();
    const pending = post("{}", controller.signal);
    controller.abort(new Error("client left"));
    await expect(pending).rejects.toThrow("client left");

    const nobody = await freePort();
    const refused = postJson(new URL(`http://127.0.0.1:${nobody}/v1/chat/completions`), {
      headers: {},
      body: "{}",
      signal: new AbortController().signal,
    });
    await expect(refused).rejects.toMatchObject({ cause: { code: "ECONNREFUSED" } });
  });
});
