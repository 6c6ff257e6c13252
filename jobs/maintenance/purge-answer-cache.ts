import { purgeExpiredAnswers } from "../../shared/chat/answer-cache.ts";
import type { Deps } from "../../shared/deps.ts";

export async function purgeAnswerCache(deps: Deps) {
  return { purged: await purgeExpiredAnswers(deps.db) };
}
