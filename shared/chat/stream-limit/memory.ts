import { type StreamLimiter, tooManyStreams } from "./port.ts";

/** Concurrent streams per principal in this process's memory: the embedded default (single process). */
export function createMemoryStreamLimiter(): StreamLimiter {
  const counts = new Map<string, number>();
  return {
    async acquire(principalId, max) {
      const current = counts.get(principalId) ?? 0;
      if (current >= max) throw tooManyStreams(max);
      counts.set(principalId, current + 1);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        const left = (counts.get(principalId) ?? 1) - 1;
        if (left <= 0) counts.delete(principalId);
        else counts.set(principalId, left);
      };
    },
  };
}
