import { describe, expect, it } from "vitest";
import { createConcurrencyLimiter } from "../../shared/backpressure.ts";
import { ApiError } from "../../shared/errors.ts";

/** A promise and the function that resolves it. */
function gate() {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open: () => open() };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe("concurrency limiter", () => {
  it("runs at most `concurrency` calls at once and starts queued ones as slots free up", async () => {
    const limiter = createConcurrencyLimiter({ concurrency: 2, queueLimit: 10, name: "test" });
    const gates = Array.from({ length: 5 }, () => gate());
    let running = 0;
    let most = 0;
    const started: number[] = [];
    const results = gates.map((g, i) =>
      limiter.run(async () => {
        started.push(i);
        running++;
        most = Math.max(most, running);
        await g.promise;
        running--;
        return i * 10;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);
    expect(limiter.stats()).toEqual({ active: 2, waiting: 3 });
    gates[1]?.open();
    await tick();
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.open();
    expect(await Promise.all(results)).toEqual([0, 10, 20, 30, 40]);
    expect(most).toBe(2);
    expect(limiter.stats()).toEqual({ active: 0, waiting: 0 });
  });

  it("refuses at once with 503 overloaded and Retry-After when the queue is full", async () => {
    const limiter = createConcurrencyLimiter({ concurrency: 1, queueLimit: 1, name: "embeddings" });
    const blocker = gate();
    const first = limiter.run(() => blocker.promise);
    const second = limiter.run(async () => "queued");
    let ran = false;
    const third = limiter.run(async () => {
      ran = true;
    });
    // Settles while the first call still holds the only slot: nobody waited for it.
    const error = await third.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      code: "overloaded",
      status: 503,
      headers: { "Retry-After": "1" },
      details: { resource: "embeddings" },
    });
    expect(ran).toBe(false);
    expect(limiter.stats()).toEqual({ active: 1, waiting: 1 });
    blocker.open();
    await first;
    expect(await second).toBe("queued");
  });

  it("with a queue limit of 0 refuses whenever every slot is busy", async () => {
    const limiter = createConcurrencyLimiter({ concurrency: 1, queueLimit: 0, name: "llm" });
    const blocker = gate();
    const first = limiter.run(() => blocker.promise);
    await expect(limiter.run(async () => 1)).rejects.toMatchObject({ code: "overloaded" });
    blocker.open();
    await first;
    expect(await limiter.run(async () => 2)).toBe(2);
  });

  it("a waiting caller that aborts leaves the queue without running, and the others still run", async () => {
    const limiter = createConcurrencyLimiter({ concurrency: 1, queueLimit: 2, name: "test" });
    const blocker = gate();
    const first = limiter.run(() => blocker.promise);
    const controller = new AbortController();
    let abortedRan = false;
    const aborted = limiter.run(async () => {
      abortedRan = true;
    }, controller.signal);
    const after = limiter.run(async () => "after");
    expect(limiter.stats().waiting).toBe(2);
    controller.abort(new Error("client went away"));
    await expect(aborted).rejects.toThrow("client went away");
    expect(limiter.stats().waiting).toBe(1);
    blocker.open();
    await first;
    expect(await after).toBe("after");
    expect(abortedRan).toBe(false);
  });

  it("rejects an already-aborted call without running it", async () => {
    const limiter = createConcurrencyLimiter({ concurrency: 1, queueLimit: 1, name: "test" });
    let ran = false;
    const reason = new Error("gone");
    await expect(
      limiter.run(async () => {
        ran = true;
      }, AbortSignal.abort(reason)),
    ).rejects.toBe(reason);
    expect(ran).toBe(false);
  });

  it("frees the slot of a call that fails", async () => {
    const limiter = createConcurrencyLimiter({ concurrency: 1, queueLimit: 1, name: "test" });
    const failing = limiter.run(async () => {
      throw new Error("boom");
    });
    const next = limiter.run(async () => "next");
    await expect(failing).rejects.toThrow("boom");
    expect(await next).toBe("next");
    expect(limiter.stats()).toEqual({ active: 0, waiting: 0 });
  });
});
