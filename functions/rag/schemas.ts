import { z } from "@hono/zod-openapi";
import { DOCUMENT_STATUSES } from "../../shared/documents/status.ts";
import { cursorQuery, limitQuery, timestampField } from "../../shared/http/openapi-fields.ts";
import { describedError } from "../../shared/http/openapi-responses.ts";

/** The 413 of the routes that take or announce an upload: the upload limit, not the JSON body limit. */
export const uploadTooLargeError = describedError(
  413,
  "Over UPLOAD_LIMIT_BYTES (sent with Connection: close)",
);

export const DocumentStatusSchema = z.enum(DOCUMENT_STATUSES).openapi({
  description:
    "uploading → queued → extracting → chunking → embedding → indexing → ready, or failed, canceled, deleting",
});

const StageTimestamps = z
  .record(
    z.string(),
    z.object({ started_at: timestampField.optional(), ended_at: timestampField.optional() }),
  )
  .openapi({ description: "Start and end of each ingest stage (extract, chunk, embed, index)" });

export const DocumentSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    status: DocumentStatusSchema,
    mime: z.string().nullable().openapi({ description: "Detected from the content during extraction" }),
    size_bytes: z.number().int().nullable(),
    content_hash: z.string().nullable().openapi({ description: "Hex SHA-256 of the uploaded bytes" }),
    tags: z.array(z.string()),
    error: z.string().nullable().openapi({ description: "Why ingestion failed, when it did" }),
    embedding_model: z.string().nullable(),
    stage_timestamps: StageTimestamps,
    uploaded_by: z.uuid().nullable(),
    created_at: timestampField,
    updated_at: timestampField,
  })
  .openapi("Document");

export const DocumentPageSchema = z
  .object({ items: z.array(DocumentSchema), next_cursor: z.string().nullable() })
  .openapi("DocumentPage");

export const IdParamsSchema = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" }, description: "Document id" }),
});

export const ListQuerySchema = z.object({
  status: DocumentStatusSchema.optional(),
  tag: z.string().min(1).max(64).optional().openapi({ description: "Documents carrying this tag" }),
  q: z.string().min(1).max(200).optional().openapi({ description: "Case-insensitive part of the name" }),
  cursor: cursorQuery,
  limit: limitQuery(20),
});

const tags = z
  .array(z.string())
  .max(32)
  .openapi({ description: "At most 32 tags of 1–64 letters, digits, spaces or . _ : -" });

export const UploadUrlBodySchema = z
  .strictObject({
    name: z.string().max(1024).openapi({
      description: "A plain file name: no path separators or control characters",
      example: "report.pdf",
    }),
    tags: tags.optional(),
    size_bytes: z.number().int().nonnegative().optional().openapi({
      description:
        "The size of the file the client will PUT: refused at once (413) over the limit; complete refuses (422) a stored file of another size",
    }),
  })
  .openapi("UploadUrlRequest");

export const UploadUrlSchema = z
  .object({
    id: z.uuid().openapi({ description: "The document, in status uploading until completed" }),
    put_url: z.url(),
    method: z.literal("PUT"),
    headers: z
      .record(z.string(), z.string())
      .openapi({ description: "Headers the PUT must carry exactly (may be empty)" }),
    key: z.string().openapi({
      description:
        "The blob key the PUT writes; complete moves the file from there to the document's own blob",
    }),
    expires_in: z.number().int().openapi({ description: "Seconds the put_url stays valid" }),
  })
  .openapi("UploadUrl");

export const BlobTokenParamsSchema = z.object({
  token: z
    .string()
    .min(1)
    .max(4096)
    .openapi({ param: { name: "token", in: "path" }, description: "The signed token of the URL" }),
});

export const StoredBlobSchema = z
  .object({ size: z.number().int().openapi({ description: "Bytes stored" }) })
  .openapi("StoredBlob");

export const ProgressSchema = z
  .object({
    id: z.uuid(),
    status: DocumentStatusSchema,
    stage_timestamps: StageTimestamps,
    chunks: z.number().int().openapi({ description: "Chunks stored for the document" }),
    embedded: z.number().int().openapi({ description: "Chunks whose embedding exists for its model" }),
    indexed: z.number().int().openapi({ description: "Points in the vector index for the document" }),
    error: z.string().nullable(),
  })
  .openapi("DocumentProgress");

export const StatsSchema = z
  .object({
    documents: z.number().int(),
    by_status: z.record(z.string(), z.number().int()),
    total_bytes: z.number().int(),
    chunks: z.number().int(),
  })
  .openapi("DocumentStats");

export const DeletingSchema = z
  .object({ id: z.uuid(), status: z.literal("deleting") })
  .openapi("DocumentDeleting");
