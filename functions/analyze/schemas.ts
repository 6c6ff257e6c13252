import { z } from "@hono/zod-openapi";
import type { AnalysisStatus } from "../../db/types.ts";
import { analysisParamsSchema } from "../../shared/analysis/params.ts";
import { cursorQuery, limitQuery, timestampField } from "../../shared/http/openapi-fields.ts";
import { describedError } from "../../shared/http/openapi-responses.ts";

/** What submitting adds to the defaults: the source limit, the accepted bodies, the URL and schema checks. */
export const submitErrors = {
  ...describedError(413, "The source is over ANALYZE_MAX_SOURCE_BYTES"),
  ...describedError(415, "Neither JSON nor multipart/form-data"),
  ...describedError(
    422,
    "Validation failed, including a URL the SSRF guard refuses (details.reason) and a bad output_schema",
  ),
};

const STATUSES = [
  "queued",
  "running",
  "ready",
  "failed",
  "canceled",
] as const satisfies readonly AnalysisStatus[];
export const AnalysisStatusSchema = z
  .enum(STATUSES)
  .openapi({ description: "queued → running → ready, or failed, canceled" });

export const ParamsSchema = analysisParamsSchema.openapi("AnalysisParams");

export const SubmitJsonSchema = z
  .object({
    url: z.string().max(2048).optional().openapi({
      description: "An http(s) URL to fetch (public addresses only)",
      example: "https://example.com/report.html",
    }),
    text: z.string().optional().openapi({ description: "The document itself, as text" }),
    name: z
      .string()
      .max(255)
      .optional()
      .openapi({ description: "Shown in the report; defaults from the source" }),
    params: ParamsSchema.optional(),
  })
  .strict()
  .refine((body) => (body.url === undefined) !== (body.text === undefined), {
    message: "send exactly one of url or text (or a multipart file)",
  })
  .openapi("AnalyzeRequest");

export const AcceptedSchema = z
  .object({ id: z.uuid(), status: z.literal("queued"), accepted: z.literal(true) })
  .openapi("AnalysisAccepted");

const SourceSchema = z
  .object({
    kind: z.enum(["file", "text", "url"]),
    name: z.string(),
    url: z.string().optional().openapi({ description: "URL sources: the URL as given" }),
    size_bytes: z.number().int().nullable().openapi({ description: "Null for a URL not fetched yet" }),
  })
  .openapi("AnalysisSource");

const KeyTermSchema = z.object({ term: z.string(), count: z.number().int(), score: z.number() });

export const ResultSchema = z
  .object({
    method: z.enum(["model", "extractive"]),
    model: z.string(),
    prompt: z.string().nullable(),
    language: z.string().nullable(),
    summary: z.string(),
    key_points: z.array(z.string()),
    key_terms: z.array(KeyTermSchema),
    data: z
      .record(z.string(), z.unknown())
      .nullable()
      .openapi({ description: "The object that satisfies params.output_schema, when one was given" }),
    document: z.object({
      name: z.string(),
      mime: z.string(),
      title: z.string().nullable(),
      characters: z.number().int(),
      chunks: z.number().int(),
    }),
    usage: z
      .object({ calls: z.number().int(), tokens_in: z.number().int(), tokens_out: z.number().int() })
      .nullable(),
  })
  .openapi("AnalysisResult");

export const AnalysisSchema = z
  .object({
    id: z.uuid(),
    status: AnalysisStatusSchema,
    progress: z.number().min(0).max(1),
    source: SourceSchema,
    params: z.record(z.string(), z.unknown()),
    result: ResultSchema.nullable(),
    error: z.string().nullable().openapi({ description: "Why it failed (also a refused URL), when it did" }),
    artifact_url: z
      .string()
      .nullable()
      .openapi({ description: "Short-lived link to the Markdown report (ANALYZE_ARTIFACT_URL_TTL_SECONDS)" }),
    artifact_json_url: z.string().nullable().openapi({ description: "Short-lived link to the JSON result" }),
    created_by: z.uuid().nullable(),
    created_at: timestampField,
    updated_at: timestampField,
  })
  .openapi("Analysis");

export const AnalysisSummarySchema = AnalysisSchema.omit({
  result: true,
  artifact_url: true,
  artifact_json_url: true,
}).openapi("AnalysisSummary");

export const AnalysisPageSchema = z
  .object({ items: z.array(AnalysisSummarySchema), next_cursor: z.string().nullable() })
  .openapi("AnalysisPage");

export const ListQuerySchema = z.object({
  status: AnalysisStatusSchema.optional(),
  cursor: cursorQuery,
  limit: limitQuery(20),
});

export const IdParamsSchema = z.object({
  id: z.uuid().openapi({ param: { name: "id", in: "path" }, description: "Analysis id" }),
});
