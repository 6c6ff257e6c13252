import type { ConcurrencyLimiter } from "../backpressure.ts";
import { ApiError } from "../errors.ts";

export interface Slot {
  /** Resolves once the call may start; rejects with the abort reason if the caller leaves while waiting. */
  granted: Promise<void>;
  /** Frees the slot (idempotent). */
  release(): void;
}

/**
 * Takes a limiter slot held for as long as the caller streams (not just one promise). The queue check
 * is synchronous, so a caller learns it is refused before it has answered anything (a 503, not a broken
 * stream); the limiter cannot change between the check and the enqueue (same tick).
 */
export function holdSlot(
  limiter: ConcurrencyLimiter,
  limits: { concurrency: number; queueLimit: number },
  signal?: AbortSignal,
): Slot {
  const { active, waiting } = limiter.stats();
  if (active >= limits.concurrency && waiting >= limits.queueLimit) {
    throw new ApiError(
      "overloaded",
      `${limiter.name} is busy: too many requests are waiting, try again shortly`,
      { resource: limiter.name },
      { "Retry-After": "1" },
    );
  }
  let release = () => {};
  const finished = new Promise<void>((resolve) => {
    release = resolve;
  });
  let grant = () => {};
  const started = new Promise<void>((resolve) => {
    grant = resolve;
  });
  const run = limiter.run(() => {
    grant();
    return finished;
  }, signal);
  // The limiter settles `run` with the abort reason when the caller leaves the queue.
  const granted = Promise.race([started, run.then(() => {})]);
  granted.catch(() => {});
  return { granted, release };
}
