import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import secureMetaSchema from "ajv/dist/refs/json-schema-secure.json" with { type: "json" };
import { ApiError } from "../errors.ts";

/** Limits on a caller-given JSON Schema (Ajv treats schemas as code: untrusted ones are bounded first). */
export const OUTPUT_SCHEMA_MAX_BYTES = 16 * 1024;
export const OUTPUT_SCHEMA_MAX_DEPTH = 16;
const MAX_ERRORS = 20;

// Strict mode refuses unknown keywords and ambiguous schemas; `format` is not checked (no format plugin),
// so a schema that uses it still compiles; remote `$ref`s are never loaded.
const ajv = new Ajv({ strict: true, allErrors: true, validateFormats: false });
/** Ajv's meta-schema for schemas that are safe to run on untrusted data (no unbounded `pattern`…). */
const isSecure = new Ajv({ strict: false }).compile(secureMetaSchema);

function depth(value: unknown, level = 0): number {
  if (level > OUTPUT_SCHEMA_MAX_DEPTH || value === null || typeof value !== "object") return level;
  let deepest = level;
  for (const child of Object.values(value)) deepest = Math.max(deepest, depth(child, level + 1));
  return deepest;
}

/** `/data/total: must be integer`: Ajv errors as short lines a model (and a person) can act on. */
export function describeErrors(errors: ErrorObject[] | null | undefined, root = "/data"): string[] {
  return (errors ?? []).slice(0, MAX_ERRORS).map((error) => {
    const where = `${root}${error.instancePath}` || "/";
    const extra =
      error.keyword === "additionalProperties"
        ? ` (${String((error.params as { additionalProperty?: unknown }).additionalProperty)})`
        : error.keyword === "enum"
          ? ` (${JSON.stringify((error.params as { allowedValues?: unknown }).allowedValues)})`
          : "";
    return `${where}: ${error.message ?? error.keyword}${extra}`;
  });
}

const invalid = (message: string, details: Record<string, unknown> = {}) =>
  new ApiError("validation_failed", `output_schema: ${message}`, {
    field: "params.output_schema",
    ...details,
  });

/**
 * Compiles a caller-given JSON Schema (draft-07) for validating the model's output: an object schema of
 * at most OUTPUT_SCHEMA_MAX_BYTES and OUTPUT_SCHEMA_MAX_DEPTH levels, that Ajv compiles in strict mode
 * and that passes Ajv's security meta-schema. Anything else is a 422 naming the problem.
 */
export function compileOutputSchema(schema: unknown): ValidateFunction {
  if (schema === null || typeof schema !== "object" || Array.isArray(schema)) {
    throw invalid("must be a JSON Schema object");
  }
  if (Buffer.byteLength(JSON.stringify(schema)) > OUTPUT_SCHEMA_MAX_BYTES) {
    throw invalid(`larger than ${OUTPUT_SCHEMA_MAX_BYTES} bytes`);
  }
  if (depth(schema) > OUTPUT_SCHEMA_MAX_DEPTH) {
    throw invalid(`nested deeper than ${OUTPUT_SCHEMA_MAX_DEPTH} levels`);
  }
  if (!isSecure(schema)) {
    throw invalid("unsafe to evaluate (for example a pattern or format without maxLength)", {
      issues: describeErrors(isSecure.errors, ""),
    });
  }
  const { type } = schema as { type?: unknown };
  if (type !== "object") throw invalid('the top level must be {"type": "object", …}');
  try {
    return ajv.compile(schema);
  } catch (error) {
    throw invalid((error as Error).message.slice(0, 500));
  } finally {
    // The compiled function stays usable; the instance must not keep every caller's schema (or its $id).
    ajv.removeSchema(schema);
  }
}
