import { ApiError } from "./errors.ts";

export interface ConcurrencyLimiterOptions {
  /** Calls running at once. */
  concurrency: number;
  /** Callers allowed to wait for a slot; one more is refused at once with 503 `overloaded`. */
  queueLimit: number;
  /** Names the limited resource in errors ("embeddings", "llm"). */
  name: string;
}

export interface ConcurrencyLimiter {
  readonly name: string;
  /** Runs `fn` when a slot is free. Rejects with `overloaded` when the queue is full, or with the abort reason. */
  run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Calls running and callers waiting, for gauges and tests. */
  stats(): { active: number; waiting: number };
}

interface Waiter {
  start(): void;
}

/** Bounded concurrency with a bounded wait queue (DESIGN §5 Backpressure), for model calls. */
export function createConcurrencyLimiter({
  concurrency,
  queueLimit,
  name,
}: ConcurrencyLimiterOptions): ConcurrencyLimiter {
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new Error("concurrency must be at least 1");
  if (!Number.isInteger(queueLimit) || queueLimit < 0) throw new Error("queueLimit must be 0 or more");
  let active = 0;
  const queue: Waiter[] = [];

  function release(): void {
    active--;
    const next = queue.shift();
    if (next) next.start();
  }

  async function runNow<T>(fn: () => Promise<T>): Promise<T> {
    active++;
    try {
      return await fn();
    } finally {
      release();
    }
  }

  function overloaded(): ApiError {
    return new ApiError(
      "overloaded",
      `${name} is busy: too many requests are waiting, try again shortly`,
      { resource: name },
      { "Retry-After": "1" },
    );
  }

  return {
    name,
    run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (active < concurrency) return runNow(fn);
      if (queue.length >= queueLimit) return Promise.reject(overloaded());
      return new Promise<T>((resolve, reject) => {
        const onAbort = () => {
          const at = queue.indexOf(waiter);
          if (at >= 0) queue.splice(at, 1);
          reject(signal?.reason);
        };
        const waiter: Waiter = {
          start() {
            signal?.removeEventListener("abort", onAbort);
            runNow(fn).then(resolve, reject);
          },
        };
        queue.push(waiter);
        signal?.addEventListener("abort", onAbort, { once: true });
      });
    },
    stats: () => ({ active, waiting: queue.length }),
  };
}
