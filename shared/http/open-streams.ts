/** Why a response stream was stopped: the process is shutting down (the client did not leave). */
export class ShuttingDown extends Error {
  constructor() {
    super("the server is shutting down");
    this.name = "ShuttingDown";
  }
}

/**
 * Responses still being written after their handler returned (answer streams). Shutdown waits for them a
 * while, then stops the rest so each can wrap up (store what it has, tell its client) before the
 * process exits, instead of being cut off by the orchestrator's kill.
 */
export interface OpenStreams {
  /** Counts a stream until `done` settles; `stop` is aborted with `ShuttingDown` if shutdown cannot wait. */
  track(stop: AbortController, done: Promise<unknown>): void;
  /** Resolves once every stream has ended: on its own within `graceMs`, or stopped after it. */
  drain(graceMs: number): Promise<void>;
}

export function createOpenStreams(): OpenStreams {
  const open = new Map<AbortController, Promise<unknown>>();
  // The tracked promises never reject (`track` settles them quietly).
  const allDone = () => Promise.all(open.values());
  return {
    track(stop, done) {
      const settled = done.then(
        () => {},
        () => {},
      );
      open.set(stop, settled);
      void settled.then(() => open.delete(stop));
    },
    async drain(graceMs) {
      let timer: NodeJS.Timeout | undefined;
      const graceOver = new Promise((resolve) => {
        timer = setTimeout(resolve, graceMs);
      });
      await Promise.race([allDone(), graceOver]);
      clearTimeout(timer);
      for (const stop of open.keys()) stop.abort(new ShuttingDown());
      await allDone();
    },
  };
}
