import { describe, expect, it } from "vitest";
import { createOpenStreams, ShuttingDown } from "../../shared/http/open-streams.ts";

/** A stream that ends when told to, or when it is stopped (after `wrapUpMs`, as storing an answer takes). */
function stream(wrapUpMs = 20) {
  const stop = new AbortController();
  let end!: () => void;
  const done = new Promise<void>((resolve) => {
    end = resolve;
    stop.signal.addEventListener("abort", () => setTimeout(resolve, wrapUpMs));
  });
  let ended = false;
  void done.then(() => {
    ended = true;
  });
  return { stop, done, end, ended: () => ended };
}

describe("open streams at shutdown", () => {
  it("lets a stream that ends within the grace end on its own", async () => {
    const streams = createOpenStreams();
    const one = stream();
    streams.track(one.stop, one.done);
    setTimeout(one.end, 30);
    await streams.drain(5000);
    expect(one.ended()).toBe(true);
    expect(one.stop.signal.aborted).toBe(false);
  });

  it("stops the streams still open when the grace is over, and waits for them to wrap up", async () => {
    const streams = createOpenStreams();
    const [quick, slow] = [stream(), stream(50)];
    streams.track(quick.stop, quick.done);
    streams.track(slow.stop, slow.done);
    setTimeout(quick.end, 10);
    await streams.drain(100);
    expect(quick.stop.signal.aborted).toBe(false);
    expect(slow.stop.signal.reason).toBeInstanceOf(ShuttingDown);
    expect(slow.ended()).toBe(true);
  });

  it("forgets ended streams, failed ones included, and drains at once when none is open", async () => {
    const streams = createOpenStreams();
    const failing = new AbortController();
    streams.track(failing, Promise.reject(new Error("stream failed")));
    const ended = stream();
    streams.track(ended.stop, ended.done);
    ended.end();
    await new Promise((resolve) => setTimeout(resolve, 10));
    await streams.drain(60_000); // would time the test out if either were still counted
    expect(failing.signal.aborted).toBe(false);
  });
});
