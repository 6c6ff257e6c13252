import type { ValidateFunction } from "ajv";
import { z } from "zod";
import { storableJson } from "../text/storable-text.ts";
import { describeErrors } from "./output-schema.ts";

/** The JSON object the final model call must answer with. */
export interface ModelAnswer {
  summary: string;
  key_points: string[];
  data: Record<string, unknown> | null;
}

const envelope = z.object({
  summary: z.string().trim().min(1),
  key_points: z.array(z.string().trim().min(1)).max(50),
  data: z.unknown().optional(),
});

/** The JSON object in a model's answer: the whole text, or what is between Markdown fences or braces. */
function jsonObjectIn(text: string): unknown {
  const unfenced = text
    .trim()
    .replace(/^```[a-z]*\s*/i, "")
    .replace(/```\s*$/, "");
  const start = unfenced.indexOf("{");
  const end = unfenced.lastIndexOf("}");
  if (start < 0 || end < start) return undefined;
  try {
    // The model may escape U+0000 or half a surrogate pair; the result is stored in jsonb, which refuses both.
    return storableJson(JSON.parse(unfenced.slice(start, end + 1)));
  } catch {
    return undefined;
  }
}

export type Checked = { ok: true; answer: ModelAnswer } | { ok: false; errors: string[] };

/**
 * Reads the model's final answer: one JSON object `{summary, key_points, data?}`; with an output schema,
 * `data` must satisfy it. The errors are written so the model can correct them in a repair round.
 */
export function checkAnswer(text: string, validate: ValidateFunction | null): Checked {
  const json = jsonObjectIn(text);
  if (json === undefined) return { ok: false, errors: ["the answer is not a single JSON object"] };
  const parsed = envelope.safeParse(json);
  const errors = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `/${issue.path.map(String).join("/")}: ${issue.message}`);
  const data = (json as { data?: unknown }).data;
  if (validate) {
    if (data === undefined) errors.push("/data: required (an object that satisfies the given JSON Schema)");
    else if (!validate(data)) errors.push(...describeErrors(validate.errors));
  }
  if (!parsed.success || errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    answer: {
      summary: parsed.data.summary,
      key_points: parsed.data.key_points,
      data: validate ? (data as Record<string, unknown>) : null,
    },
  };
}

/** Without a schema, an answer that is not the asked-for JSON is still kept: its text as the summary. */
export function lenientAnswer(text: string): ModelAnswer {
  const bullets = text
    .split("\n")
    .map((line) => /^\s*(?:[-*•]|\d{1,2}[.)])\s+(.+)$/.exec(line)?.[1]?.trim())
    .filter((line): line is string => Boolean(line));
  return { summary: text.trim(), key_points: bullets, data: null };
}
