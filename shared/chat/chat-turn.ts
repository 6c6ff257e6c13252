import { randomUUID } from "node:crypto";
import type { Scope } from "../auth/principal.ts";
import {
  type AnswerDeps,
  type AnswerOutcome,
  type AnswerRequest,
  type PreparedAnswer,
  prepareAnswer,
} from "./answer.ts";
import { appendMessage, conversationHistory, type MessageRow } from "./messages.ts";

export interface ChatTurnInput extends Omit<AnswerRequest, "history" | "clientSystem"> {
  chatId: string;
}

export interface ChatTurn {
  chatId: string;
  userMessage: MessageRow;
  /** The assistant message's id, announced before the answer is written (stored by `finish`). */
  assistantMessageId: string;
  answer: PreparedAnswer;
  /** Stores the answer as complete, interrupted or failed, with model, tokens, latency and citations. */
  finish(outcome: AnswerOutcome): Promise<MessageRow>;
}

/**
 * One question in a chat: the chat must be the caller's (404 otherwise), the answer is prepared (which
 * may refuse with 503) and only then is the question stored, so a refused request leaves no trace and
 * can simply be retried.
 */
export async function startChatTurn(deps: AnswerDeps, scope: Scope, input: ChatTurnInput): Promise<ChatTurn> {
  const history = await conversationHistory(deps.db, scope, input.chatId);
  const answer = await prepareAnswer(deps, scope, { ...input, history });
  let userMessage: MessageRow;
  try {
    userMessage = await appendMessage(deps.db, scope, input.chatId, {
      role: "user",
      content: input.question,
    });
  } catch (error) {
    await answer.cancel();
    throw error;
  }
  const assistantMessageId = randomUUID();
  return {
    chatId: input.chatId,
    userMessage,
    assistantMessageId,
    answer,
    finish: (outcome) =>
      appendMessage(deps.db, scope, input.chatId, {
        id: assistantMessageId,
        role: "assistant",
        content: outcome.content,
        status: outcome.status,
        model: answer.model,
        tokensIn: outcome.usage.tokens_in,
        tokensOut: outcome.usage.tokens_out,
        latencyMs: outcome.latencyMs,
        citations: outcome.citations,
        meta: {
          cached: answer.cached,
          finish_reason: outcome.finishReason,
          first_token_ms: outcome.firstTokenMs,
          use_rag: input.rag !== null,
          ...(outcome.status === "failed" && outcome.error
            ? { error: { code: outcome.error.code, message: outcome.error.message } }
            : {}),
        },
      }),
  };
}
