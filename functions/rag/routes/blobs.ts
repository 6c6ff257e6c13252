import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import { contentDisposition } from "../../../shared/blob/content-disposition.ts";
import { BlobNotFoundError, BlobTooLargeError } from "../../../shared/blob/index.ts";
import { contentDeps } from "../../../shared/content-deps.ts";
import { awaitsSignedUpload } from "../../../shared/documents/upload.ts";
import { fileTooLarge } from "../../../shared/documents/upload-errors.ts";
import { ApiError } from "../../../shared/errors.ts";
import type { AppEnv } from "../../../shared/http/app-env.ts";
import { errorResponses, jsonResponse } from "../../../shared/http/openapi-responses.ts";
import { createRouter } from "../../../shared/http/router.ts";
import { BlobTokenParamsSchema, StoredBlobSchema, uploadTooLargeError } from "../schemas.ts";
import { CONNECTION_CLOSE } from "../upload-rules.ts";

const TOKEN_NOTE =
  "No Authorization header: the signed token in the path is the credential. An invalid, expired or tampered token, or one for the other operation, → 403.";

const put = createRoute({
  method: "put",
  path: "/api/rag/blobs/{token}",
  tags: ["documents"],
  summary: "Receive a presigned upload (filesystem blob store)",
  description: `The put_url of POST /api/rag/upload-url when blobs are stored on the filesystem. The body is the file itself, in any content type, streamed to storage and refused (413) over the limit signed into the token. Once the upload is completed or removed, the URL takes nothing more (409). ${TOKEN_NOTE}`,
  security: [],
  request: {
    params: BlobTokenParamsSchema,
    body: {
      required: true,
      // A plain schema (not zod): any content type is accepted and the body is streamed, not parsed.
      content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
    },
  },
  responses: {
    200: jsonResponse("Stored", StoredBlobSchema),
    ...errorResponses(403, 409),
    ...uploadTooLargeError,
  },
});

const get = createRoute({
  method: "get",
  path: "/api/rag/blobs/{token}",
  tags: ["documents"],
  summary: "Serve a presigned download (filesystem blob store)",
  description: `Streams the blob a signed GET URL names, as an attachment. ${TOKEN_NOTE}`,
  security: [],
  request: { params: BlobTokenParamsSchema },
  responses: {
    200: {
      description: "The blob's bytes",
      content: { "application/octet-stream": { schema: { type: "string", format: "binary" } } },
    },
    ...errorResponses(403, 404),
  },
});

const refused = () => new ApiError("forbidden", "invalid or expired URL", {}, CONNECTION_CLOSE);

/** A token too long to be one of ours is refused like any other bad token. */
function malformedTokenIsRefused(result: { success: boolean }): undefined {
  if (!result.success) throw refused();
  return undefined;
}

export function blobRoutes(): OpenAPIHono<AppEnv> {
  return createRouter()
    .openapi(
      put,
      async (c) => {
        const { blobStore, db } = contentDeps(c);
        const token = blobStore.verifyUrlToken(c.req.valid("param").token, "put");
        if (!token) throw refused();
        if (!(await awaitsSignedUpload(db, token.key))) {
          throw new ApiError(
            "conflict",
            "this upload is closed: it was completed or removed",
            {},
            CONNECTION_CLOSE,
          );
        }
        if (token.contentType !== undefined && c.req.header("content-type") !== token.contentType) {
          throw new ApiError(
            "forbidden",
            `this URL takes Content-Type ${token.contentType}`,
            { content_type: token.contentType },
            CONNECTION_CLOSE,
          );
        }
        const body = c.req.raw.body;
        try {
          const stored = await blobStore.put(
            token.key,
            body ? Readable.fromWeb(body as NodeReadableStream<Uint8Array>) : new Uint8Array(0),
            { maxBytes: token.maxBytes, contentType: token.contentType },
          );
          return c.json({ size: stored.size }, 200);
        } catch (error) {
          if (!(error instanceof BlobTooLargeError)) throw error;
          c.header("Connection", "close");
          throw fileTooLarge(error.maxBytes);
        }
      },
      malformedTokenIsRefused,
    )
    .openapi(
      get,
      async (c) => {
        const { blobStore } = contentDeps(c);
        const token = blobStore.verifyUrlToken(c.req.valid("param").token, "get");
        if (!token) throw refused();
        let stream: Readable;
        try {
          stream = await blobStore.get(token.key);
        } catch (error) {
          if (error instanceof BlobNotFoundError) throw new ApiError("not_found", "blob not found");
          throw error;
        }
        return c.body(Readable.toWeb(stream) as ReadableStream<Uint8Array>, 200, {
          "Content-Type": "application/octet-stream",
          "Content-Disposition":
            token.downloadName === undefined ? "attachment" : contentDisposition(token.downloadName),
          "X-Content-Type-Options": "nosniff",
          "Cache-Control": "private, no-store",
        });
      },
      malformedTokenIsRefused,
    );
}
