import type { ModelCallFailure } from "../embeddings/metrics.ts";

/** A completion that failed for good; `reason` says how, `afterFirstToken` whether text was already sent. */
export class LanguageModelError extends Error {
  constructor(
    message: string,
    readonly reason: ModelCallFailure,
    readonly attempts: number,
    readonly afterFirstToken: boolean,
  ) {
    super(message);
    this.name = "LanguageModelError";
  }
}
