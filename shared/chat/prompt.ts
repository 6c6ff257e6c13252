import { createHash } from "node:crypto";
import type { LlmMessage } from "../llm/port.ts";
import { countTokens } from "../text/tokens.ts";

export const DEFAULT_SYSTEM_PROMPT = [
  "You are Quarry, an assistant that answers questions about the user's documents.",
  "Use the numbered sources when they are relevant and cite them inline as [1], [2].",
  "If the sources do not contain the answer, say so plainly instead of guessing.",
  "Answer in the language of the question.",
].join(" ");

/** Bumped whenever the way prompts are assembled changes, so cached answers of the old one stop matching. */
const TEMPLATE_VERSION = 1;
/** Per-message framing tokens of the chat format (role, separators), as OpenAI counts them. */
const MESSAGE_OVERHEAD = 4;
const REPLY_PRIMING = 3;

export interface PromptSource {
  number: number;
  title: string;
  page: number | null;
  text: string;
}

/** A turn of the conversation so far, with its content's token count when one was stored. */
export interface HistoryMessage extends LlmMessage {
  tokens?: number | null;
}

export interface PromptInput {
  systemPrompt: string;
  /** The client's own system instructions (OpenAI-compatible route), placed after ours. */
  clientSystem?: string;
  /** null when the question is asked without retrieval. */
  sources: PromptSource[] | null;
  /** Earlier turns, oldest first. */
  history: HistoryMessage[];
  question: string;
  historyTokenBudget: number;
}

export interface Prompt {
  messages: LlmMessage[];
  /** How many history messages fit in the budget. */
  historyKept: number;
}

/** Names the template and the system prompt in use (part of the answer cache key). */
export function promptVersion(systemPrompt: string): string {
  const hash = createHash("sha256").update(systemPrompt).digest("hex").slice(0, 16);
  return `${TEMPLATE_VERSION}:${hash}`;
}

function messageTokens(message: HistoryMessage): number {
  return (message.tokens ?? countTokens(message.content)) + MESSAGE_OVERHEAD;
}

/**
 * Tokens of a whole prompt, by the tokenizer: what the answer is charged for when the model server
 * reports no usage (counted then, not before every answer).
 */
export function promptTokens(messages: LlmMessage[]): number {
  return messages.reduce((sum, m) => sum + messageTokens(m), REPLY_PRIMING);
}

function renderSources(sources: PromptSource[]): string {
  if (sources.length === 0) return "Sources: none of the user's documents matched this question.";
  const blocks = sources.map((s) => {
    const where = s.page === null ? s.title : `${s.title}, page ${s.page}`;
    return `[${s.number}] ${where}\n${s.text.trim()}`;
  });
  return `Sources:\n\n${blocks.join("\n\n")}`;
}

/**
 * System prompt (with the numbered sources), then as much of the conversation as fits the history
 * budget — newest turns kept, oldest dropped first — then the question last.
 */
export function assemblePrompt(input: PromptInput): Prompt {
  const system = [input.systemPrompt, input.clientSystem, input.sources && renderSources(input.sources)]
    .filter((part): part is string => Boolean(part))
    .join("\n\n");
  const kept: LlmMessage[] = [];
  let budget = input.historyTokenBudget;
  for (let i = input.history.length - 1; i >= 0; i--) {
    const message = input.history[i] as HistoryMessage;
    const cost = messageTokens(message);
    if (cost > budget) break;
    budget -= cost;
    // Only role and content go to the model.
    kept.unshift({ role: message.role, content: message.content });
  }
  const messages: LlmMessage[] = [
    { role: "system", content: system },
    ...kept,
    { role: "user", content: input.question },
  ];
  return { messages, historyKept: kept.length };
}
