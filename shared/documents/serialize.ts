import type { Document } from "../../db/types.ts";

/** A document as the API shows it (snake_case; storage keys stay internal). */
export function documentView(doc: Document) {
  return {
    id: doc.id,
    name: doc.name,
    status: doc.status,
    mime: doc.source_mime,
    size_bytes: doc.size_bytes,
    content_hash: doc.content_hash,
    tags: doc.tags,
    error: doc.error,
    embedding_model: doc.embedding_model,
    stage_timestamps: doc.stage_timestamps,
    uploaded_by: doc.uploaded_by,
    created_at: doc.created_at.toISOString(),
    updated_at: doc.updated_at.toISOString(),
  };
}

export type DocumentView = ReturnType<typeof documentView>;
