import { randomUUID } from "node:crypto";
import { createRoute, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { type AnalysisParams, checkParams, parseParamsField } from "../../../shared/analysis/params.ts";
import { createAnalysis } from "../../../shared/analysis/service.ts";
import type { AnalysisSource } from "../../../shared/analysis/types.ts";
import { requireRole } from "../../../shared/auth/authenticate.ts";
import { scopeOf } from "../../../shared/auth/principal.ts";
import { BlobTooLargeError, blobKey } from "../../../shared/blob/index.ts";
import { contentDeps } from "../../../shared/content-deps.ts";
import { nameFromFilename, validateDocumentName } from "../../../shared/documents/names.ts";
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
import { createRouter } from "../../../shared/http/router.ts";
import { guardUrl } from "../../../shared/net/url-guard.ts";
import { rateLimit } from "../../../shared/rate-limit/middleware.ts";
import { ANALYZE_RATE_LIMIT } from "../rate-limit.ts";
import { AcceptedSchema, SubmitJsonSchema, submitErrors } from "../schemas.ts";

const route = createRoute({
  method: "post",
  path: "/api/analyze",
  tags: ["analyze"],
  summary: "Analyse a file, a text or a URL (asynchronously)",
  description: [
    "Either multipart/form-data with a `file` part, an optional `name` and an optional `params` field",
    "(JSON), or JSON `{url}` or `{text}` with optional `name` and `params`. The source may be at most",
    "ANALYZE_MAX_SOURCE_BYTES (413 above). A URL the SSRF guard can refuse without fetching (scheme,",
    "credentials, localhost, a non-public IP literal in any IPv4 or IPv6 form) is a 422 at once; one that",
    "resolves or redirects to a non-public address fails the job. `params.output_schema` must compile",
    "(JSON Schema draft-07, strict) and needs a configured model. Answers 202; poll GET /api/analyze/{id}.",
    "Safe to retry with an Idempotency-Key.",
  ].join(" "),
  security: bearerSecurity,
  middleware: [requireRole("editor"), rateLimit(ANALYZE_RATE_LIMIT)] as const,
  request: {
    body: {
      // Not required: the JSON validator then runs only for JSON bodies; multipart is streamed below.
      required: false,
      content: {
        "application/json": { schema: SubmitJsonSchema },
        "multipart/form-data": {
          schema: {
            type: "object",
            required: ["file"],
            properties: {
              file: { type: "string", format: "binary" },
              name: { type: "string", maxLength: 255 },
              params: { type: "string", description: "JSON of AnalysisParams (at most 16 KiB)" },
            },
          },
        },
      },
    },
  },
  responses: {
    202: jsonResponse("Accepted: the analysis is queued", AcceptedSchema),
    ...errorResponses(400),
    ...submitErrors,
    ...protectedErrors,
  },
});

const tooLarge = (limit: number) =>
  new ApiError("payload_too_large", `the source is larger than the limit of ${limit} bytes`, {
    limit_bytes: limit,
  });

interface Submission {
  source: AnalysisSource;
  blobKey: string | null;
  params: AnalysisParams;
}

/** The last path segment of a URL, or its host: a readable name for the report. */
function nameFromUrl(url: URL): string {
  const segment = decodeURIComponent(url.pathname.split("/").filter(Boolean).pop() ?? "").trim();
  return (segment || url.hostname).slice(0, 255);
}

async function fromMultipart(c: Context<AppEnv>, id: string): Promise<Submission> {
  const deps = contentDeps(c);
  const scope = scopeOf(c.get("principal"));
  const limit = deps.config.ANALYZE_MAX_SOURCE_BYTES;
  const key = blobKey(scope.tenantId, "analysis", id, "source");
  try {
    const { fields, file } = await parseUpload(c.req.raw, ["name", "params"], async (part) => ({
      filename: part.filename,
      ...(await deps.blobStore.put(key, part.stream, { maxBytes: limit })),
    }));
    if (!file)
      throw new ApiError("validation_failed", 'multipart field "file" is required', { field: "file" });
    if (file.size === 0) {
      throw new ApiError("validation_failed", "the file is empty (0 bytes): nothing to analyze", {
        field: "file",
      });
    }
    const name =
      fields.name !== undefined ? validateDocumentName(fields.name) : nameFromFilename(file.filename);
    const params = parseParamsField(fields.other.get("params"));
    checkParams(params, deps.llm);
    return {
      source: { kind: "file", name, size_bytes: file.size, sha256: file.sha256 },
      blobKey: key,
      params,
    };
  } catch (error) {
    await deps.blobStore.delete(key).catch(() => {});
    // The body may be partly unread: the connection is not reused after this answer.
    c.header("Connection", "close");
    throw error instanceof BlobTooLargeError ? tooLarge(limit) : error;
  }
}

async function fromJson(c: Context<AppEnv>, id: string, json: unknown): Promise<Submission> {
  const deps = contentDeps(c);
  const scope = scopeOf(c.get("principal"));
  // The route's validator has parsed (and cached) a JSON body already; a request without one is {}.
  const parsed = SubmitJsonSchema.safeParse(json);
  if (!parsed.success) {
    throw new ApiError("validation_failed", "send JSON {url} or {text}, or a multipart file", {
      issues: parsed.error.issues.map((issue) => ({
        path: issue.path.map(String).join("."),
        message: issue.message,
      })),
    });
  }
  const body = parsed.data;
  const params = body.params ?? {};
  checkParams(params, deps.llm);
  const explicitName = body.name !== undefined ? validateDocumentName(body.name) : undefined;
  if (body.url !== undefined) {
    const { url } = guardUrl(body.url);
    return {
      source: { kind: "url", name: explicitName ?? nameFromUrl(url), url: url.href },
      blobKey: null,
      params,
    };
  }
  const text = body.text ?? "";
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length > deps.config.ANALYZE_MAX_SOURCE_BYTES)
    throw tooLarge(deps.config.ANALYZE_MAX_SOURCE_BYTES);
  if (text.trim() === "") {
    throw new ApiError("validation_failed", "the text is empty: nothing to analyze", { field: "text" });
  }
  const key = blobKey(scope.tenantId, "analysis", id, "source");
  await deps.blobStore.put(key, bytes, { contentType: "text/plain; charset=utf-8" });
  return {
    source: { kind: "text", name: explicitName ?? "text", size_bytes: bytes.length },
    blobKey: key,
    params,
  };
}

export function submitRoutes(): OpenAPIHono<AppEnv> {
  return createRouter().openapi(route, async (c) => {
    const deps = contentDeps(c);
    const scope = scopeOf(c.get("principal"));
    const type = requestMediaType(c);
    const id = randomUUID();
    const submission =
      type === "multipart/form-data"
        ? await fromMultipart(c, id)
        : await fromJson(c, id, type === "application/json" ? await c.req.json() : {});
    try {
      await createAnalysis(deps.db, scope, { id, ...submission }, deps.config.ANALYZE_MAX_ATTEMPTS);
    } catch (error) {
      if (submission.blobKey) await deps.blobStore.delete(submission.blobKey).catch(() => {});
      throw error;
    }
    return c.json({ id, status: "queued" as const, accepted: true as const }, 202);
  });
}
