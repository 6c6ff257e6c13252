import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { clientGone, sseResponse } from "../../functions/chats/sse.ts";
import { createRouter } from "../../shared/http/router.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { eventually } from "../helpers/eventually.ts";
import { parseSse } from "./fixtures.ts";

const EVENTS = 200;
const PAYLOAD = "x".repeat(1000);

describe("answer event streams", () => {
  let t: TestApp;
  /** What the stream's body has done so far. */
  const progress = { sent: 0, finished: false, closed: false, gone: false };

  beforeAll(async () => {
    const routes = createRouter();
    routes.get("/test/events", (c) => {
      const gone = clientGone(c);
      gone.signal.addEventListener("abort", () => {
        progress.gone = true;
      });
      return sseResponse(
        c,
        {
          heartbeatMs: 60_000,
          gone,
          onClose: () => {
            progress.closed = true;
          },
        },
        async (sender) => {
          for (let i = 0; i < EVENTS && !gone.signal.aborted; i++) {
            await sender.send("token", { i, delta: PAYLOAD });
            progress.sent++;
          }
          progress.finished = true;
        },
      );
    });
    t = await startTestApp({ routeGroups: () => [routes] });
  });
  afterAll(() => t.close());

  const reset = () => Object.assign(progress, { sent: 0, finished: false, closed: false, gone: false });

  it("runs ahead of a client that does not read by at most 64 KiB, then goes on as it reads", async () => {
    reset();
    // In process: nothing reads the body until the test does.
    const res = await t.app.request("/test/events");
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("x-accel-buffering")).toBe("no");
    await eventually(
      async () => progress.sent,
      (sent) => sent > 0,
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    // Each event is a little over 1 KB: the writer stops once 64 KiB wait unread.
    expect(progress.sent).toBeGreaterThan(50);
    expect(progress.sent).toBeLessThan(70);
    expect(progress.finished).toBe(false);

    const events = parseSse(await res.text()).events;
    expect(events).toHaveLength(EVENTS);
    expect(events.map((e) => (JSON.parse(e.data) as { i: number }).i)).toEqual([...Array(EVENTS).keys()]);
    expect(progress).toMatchObject({ sent: EVENTS, finished: true, closed: true, gone: false });
  });

  it("lets a writer waiting on a client that left go, and tells the answer the client is gone", async () => {
    reset();
    const res = await t.app.request("/test/events");
    await eventually(
      async () => progress.sent,
      (sent) => sent > 50,
    );
    await res.body?.cancel();
    await eventually(
      async () => progress.closed,
      (closed) => closed,
    );
    expect(progress.gone).toBe(true);
    expect(progress.finished).toBe(true);
    expect(progress.sent).toBeLessThan(EVENTS);
  });
});
