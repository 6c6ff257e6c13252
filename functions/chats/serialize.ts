import type { ChatRow } from "../../shared/chat/chats.ts";
import type { Citation } from "../../shared/chat/citations.ts";
import type { MessageRow } from "../../shared/chat/messages.ts";

export function chatView(chat: ChatRow) {
  return {
    id: chat.id,
    name: chat.name,
    created_at: chat.created_at.toISOString(),
    updated_at: chat.updated_at.toISOString(),
    last_message_at: chat.last_message_at?.toISOString() ?? null,
  };
}

export function messageView(message: MessageRow) {
  return {
    id: message.id,
    chat_id: message.chat_id,
    role: message.role,
    content: message.content,
    status: message.status,
    model: message.model,
    tokens_in: message.tokens_in,
    tokens_out: message.tokens_out,
    latency_ms: message.latency_ms,
    citations: message.citations as Citation[],
    meta: message.meta,
    created_at: message.created_at.toISOString(),
  };
}
