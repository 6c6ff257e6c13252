import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Document } from "../../../db/types.ts";
import { requireRole } from "../../../shared/auth/authenticate.ts";
import { scopeOf } from "../../../shared/auth/principal.ts";
import { BlobTooLargeError } from "../../../shared/blob/index.ts";
import { contentDeps } from "../../../shared/content-deps.ts";
import { abandonUpload } from "../../../shared/documents/abandon-upload.ts";
import { nameFromFilename, validateDocumentName, validateTags } from "../../../shared/documents/names.ts";
import { documentView } from "../../../shared/documents/serialize.ts";
import { acceptUpload, beginDocument } from "../../../shared/documents/upload.ts";
import { setUploadDetails } from "../../../shared/documents/upload-details.ts";
import { duplicateOf, emptyFile, fileTooLarge } from "../../../shared/documents/upload-errors.ts";
import { ApiError } from "../../../shared/errors.ts";
import type { AppEnv } from "../../../shared/http/app-env.ts";
import { parseUpload } from "../../../shared/http/multipart-upload.ts";
import { requestMediaType } from "../../../shared/http/node-bindings.ts";
import {
  bearerSecurity,
  errorResponses,
  jsonResponse,
  protectedErrors,
} from "../../../shared/http/openapi-responses.ts";
import { requestLog } from "../../../shared/http/request-context.ts";
import { createRouter } from "../../../shared/http/router.ts";
import { rateLimit } from "../../../shared/rate-limit/middleware.ts";
import { DocumentSchema, uploadTooLargeError } from "../schemas.ts";
import { CONNECTION_CLOSE, UPLOAD_RATE_LIMIT } from "../upload-rules.ts";

/** A multipart upload that dies mid-way leaves an `uploading` row that maintenance expires after this. */
const UPLOAD_ROW_TTL_MS = 60 * 60 * 1000;

const route = createRoute({
  method: "post",
  path: "/api/rag/upload",
  tags: ["documents"],
  summary: "Upload a document (multipart, streamed to storage)",
  description: [
    "multipart/form-data with a `file` part (required), an optional `name` (a plain file name; defaults to the",
    "file part's file name, last path segment only) and optional `tags` (comma-separated, or repeated fields).",
    "Fields may come before or after the file. The file is streamed to storage, never buffered whole; over",
    "UPLOAD_LIMIT_BYTES the upload is refused with 413 and the connection is closed. The file's type is",
    "detected from its content during ingestion (the part's Content-Type is ignored). Identical content",
    "already in the tenant → 409 with `details.document_id`. Safe to retry with an `Idempotency-Key`.",
  ].join(" "),
  security: bearerSecurity,
  middleware: [requireRole("editor"), rateLimit(UPLOAD_RATE_LIMIT)] as const,
  request: {
    body: {
      required: true,
      content: {
        // A plain schema (not zod): the route streams the body itself instead of having it parsed.
        "multipart/form-data": {
          schema: {
            type: "object",
            required: ["file"],
            properties: {
              file: { type: "string", format: "binary" },
              name: { type: "string", maxLength: 255, example: "report.pdf" },
              tags: { type: "string", description: "Comma-separated; the field may also be repeated" },
            },
          },
        },
      },
    },
  },
  responses: {
    201: jsonResponse("The document, queued for ingestion", DocumentSchema),
    ...errorResponses(400, 409, 415, 422),
    ...uploadTooLargeError,
    ...protectedErrors,
  },
});

interface StoredFile {
  document: Document;
  filename: string | undefined;
  size: number;
  sha256: string;
}

/** The row needs a name before the bytes arrive; a bad file name is reported once all fields are known. */
function provisionalName(explicit: string | undefined, filename: string | undefined): string {
  if (explicit !== undefined) return validateDocumentName(explicit);
  try {
    return nameFromFilename(filename);
  } catch {
    return "untitled";
  }
}

const sameTags = (a: string[], b: string[]) => a.length === b.length && a.every((tag, i) => tag === b[i]);

export function uploadRoutes(): OpenAPIHono<AppEnv> {
  return createRouter().openapi(route, async (c) => {
    const deps = contentDeps(c);
    const scope = scopeOf(c.get("principal"));
    if (requestMediaType(c) !== "multipart/form-data") {
      throw new ApiError(
        "unsupported_media_type",
        "send the file as multipart/form-data",
        { accepted: ["multipart/form-data"] },
        CONNECTION_CLOSE,
      );
    }
    const limit = deps.config.UPLOAD_LIMIT_BYTES;
    const begun: { document?: Document } = {};
    try {
      const { fields, file } = await parseUpload<StoredFile>(c.req.raw, ["name", "tags"], async (part) => {
        const tags = validateTags(part.fieldsBefore.tags);
        const name = provisionalName(part.fieldsBefore.name, part.filename);
        const document = await beginDocument(deps.db, scope, {
          name,
          tags,
          expiresAt: new Date(Date.now() + UPLOAD_ROW_TTL_MS),
        });
        begun.document = document;
        const stored = await deps.blobStore.put(document.blob_key, part.stream, { maxBytes: limit });
        return { document, filename: part.filename, ...stored };
      });
      if (!file) {
        throw new ApiError("validation_failed", 'multipart field "file" is required', { field: "file" });
      }
      if (file.size === 0) throw emptyFile();
      const name =
        fields.name !== undefined ? validateDocumentName(fields.name) : nameFromFilename(file.filename);
      const tags = validateTags(fields.tags);
      if (name !== file.document.name || !sameTags(tags, file.document.tags)) {
        await setUploadDetails(deps.db, scope, file.document.id, { name, tags });
      }
      const result = await acceptUpload(
        deps.db,
        scope,
        file.document.id,
        { sizeBytes: file.size, sha256: file.sha256 },
        deps.config.INGEST_MAX_ATTEMPTS,
      );
      if (result.kind === "duplicate") throw duplicateOf(result.existing);
      return c.json(documentView(result.document), 201);
    } catch (error) {
      if (begun.document) await abandonUpload({ ...deps, log: requestLog(c) }, scope, begun.document);
      // The body may be partly unread: the connection is not reused after this answer.
      c.header("Connection", "close");
      throw error instanceof BlobTooLargeError ? fileTooLarge(limit) : error;
    }
  });
}
