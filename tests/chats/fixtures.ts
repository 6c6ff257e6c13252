import { createHash } from "node:crypto";
import type { Deps } from "../../shared/deps.ts";
import { countTokens } from "../../shared/text/tokens.ts";
import { readJson, type TestApp } from "../helpers/app.ts";

export interface SeededDocument {
  id: string;
  chunkIds: string[];
}

/** A ready document with its chunks straight in the database (lexical retrieval finds them). */
export async function seedDocument(
  deps: Deps,
  tenantId: string,
  name: string,
  chunks: string[],
  tags: string[] = [],
): Promise<SeededDocument> {
  const document = await deps.db
    .insertInto("documents")
    .values({ tenant_id: tenantId, name, status: "ready", blob_key: `seed/${name}`, tags })
    .returning("id")
    .executeTakeFirstOrThrow();
  const rows = await deps.db
    .insertInto("chunks")
    .values(
      chunks.map((text, idx) => ({
        document_id: document.id,
        tenant_id: tenantId,
        idx,
        text,
        content_hash: createHash("sha256").update(text).digest("hex"),
        token_count: countTokens(text),
        page: idx + 1,
      })),
    )
    .returning("id")
    .execute();
  return { id: document.id, chunkIds: rows.map((r) => r.id) };
}

export async function newChat(t: TestApp, token: string, name?: string): Promise<string> {
  const res = await t.call("/api/chats", { method: "POST", token, json: name ? { name } : {} });
  if (res.status !== 201) throw new Error(`POST /api/chats: ${res.status} ${await res.text()}`);
  return (await readJson<{ chat_id: string }>(res)).chat_id;
}

export interface SseEvent {
  event: string;
  data: string;
}

export interface ParsedStream {
  events: SseEvent[];
  /** `: …` comment lines (heartbeats). */
  comments: string[];
}

/** Parses a whole text/event-stream body. */
export function parseSse(text: string): ParsedStream {
  const events: SseEvent[] = [];
  const comments: string[] = [];
  for (const block of text.split(/\n\n/)) {
    let event = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) comments.push(line.slice(1).trim());
      else if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
    }
    if (data.length > 0) events.push({ event, data: data.join("\n") });
  }
  return { events, comments };
}

export function eventData<T = Record<string, unknown>>(stream: ParsedStream, name: string): T[] {
  return stream.events.filter((e) => e.event === name).map((e) => JSON.parse(e.data) as T);
}

export interface MessageJson {
  id: string;
  role: string;
  content: string;
  status: string;
  model: string | null;
  tokens_in: number | null;
  tokens_out: number | null;
  latency_ms: number | null;
  citations: { number: number; document_id: string; chunk_id: string }[];
  meta: Record<string, unknown>;
  created_at: string;
}

export async function messagesOf(t: TestApp, token: string, chatId: string): Promise<MessageJson[]> {
  const res = await t.call(`/api/chats/${chatId}/messages?limit=100`, { token });
  if (res.status !== 200) throw new Error(`GET messages: ${res.status} ${await res.text()}`);
  return (await readJson<{ items: MessageJson[] }>(res)).items;
}
