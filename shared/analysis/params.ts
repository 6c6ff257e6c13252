import { z } from "zod";
import { ApiError } from "../errors.ts";
import type { LanguageModel } from "../llm/port.ts";
import { compileOutputSchema } from "./output-schema.ts";

export const PROMPT_MAX_CHARS = 4000;

/** What the caller may ask of an analysis; stored as given in `analysis_jobs.params`. */
export const analysisParamsSchema = z
  .object({
    prompt: z
      .string()
      .trim()
      .min(1)
      .max(PROMPT_MAX_CHARS)
      .optional()
      .describe("What to look for; defaults to a summary and key points"),
    language: z
      .string()
      .trim()
      .min(2)
      .max(64)
      .optional()
      .describe('Language of the result, e.g. "en" or "German" (passed to the model)'),
    output_schema: z
      .record(z.string(), z.unknown())
      .optional()
      .describe(
        "A JSON Schema (draft-07, top-level object) the result's `data` must satisfy; needs a configured model",
      ),
    temperature: z.number().min(0).max(2).optional(),
  })
  .strict();

export type AnalysisParams = z.infer<typeof analysisParamsSchema>;

/** The params of a multipart request: one `params` field holding JSON. */
export function parseParamsField(raw: string | undefined): AnalysisParams {
  if (raw === undefined) return {};
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new ApiError("validation_failed", "the params field must be a JSON object", { field: "params" });
  }
  const parsed = analysisParamsSchema.safeParse(json);
  if (!parsed.success) {
    throw new ApiError("validation_failed", "request validation failed", {
      issues: parsed.error.issues.map((issue) => ({
        path: ["params", ...issue.path.map(String)].join("."),
        message: issue.message,
      })),
    });
  }
  return parsed.data;
}

/** Checks what can be known before the job runs: the output schema compiles, and a model exists to fill it. */
export function checkParams(params: AnalysisParams, llm: LanguageModel): void {
  if (params.output_schema === undefined) return;
  compileOutputSchema(params.output_schema);
  if (llm.kind === "extractive") {
    throw new ApiError(
      "validation_failed",
      "output_schema needs a language model, and none is configured (LLM_URL): the extractive default cannot fill a schema",
      { field: "params.output_schema" },
    );
  }
}
