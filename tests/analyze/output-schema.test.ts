import { describe, expect, it } from "vitest";
import { checkAnswer, lenientAnswer } from "../../shared/analysis/model-answer.ts";
import { compileOutputSchema, OUTPUT_SCHEMA_MAX_BYTES } from "../../shared/analysis/output-schema.ts";
import { ApiError } from "../../shared/errors.ts";

const schema = {
  type: "object",
  required: ["total"],
  additionalProperties: false,
  properties: { total: { type: "integer" }, tags: { type: "array", items: { enum: ["a", "b"] } } },
};

function refusal(candidate: unknown): string {
  try {
    compileOutputSchema(candidate);
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(422);
    return (error as Error).message;
  }
  throw new Error("expected the schema to be refused");
}

describe("compileOutputSchema", () => {
  it("compiles an object schema and validates with it", () => {
    const validate = compileOutputSchema(schema);
    expect(validate({ total: 3, tags: ["a"] })).toBe(true);
    expect(validate({ total: "3" })).toBe(false);
  });

  it("compiles the same $id twice (schemas are not kept)", () => {
    const withId = { $id: "https://example.com/s", ...schema };
    expect(compileOutputSchema(withId)({ total: 1 })).toBe(true);
    expect(compileOutputSchema(withId)({ total: 1 })).toBe(true);
  });

  it("refuses what is not a safe, strict, bounded object schema", () => {
    expect(refusal([])).toMatch(/must be a JSON Schema object/);
    expect(refusal({ type: "string" })).toMatch(/top level/);
    expect(refusal({ type: "object", properties: { a: { type: "strin" } } })).toMatch(/output_schema: /);
    expect(refusal({ type: "object", requird: ["a"] })).toMatch(/unknown keyword/);
    expect(refusal({ type: "object", properties: { a: { type: "string", pattern: "(a|a)*$" } } })).toMatch(
      /unsafe/,
    );
    expect(
      refusal({ type: "object", properties: { a: { $ref: "https://evil.example/schema.json" } } }),
    ).toMatch(/output_schema: /);
    let deep: Record<string, unknown> = { type: "object" };
    for (let i = 0; i < 20; i++) deep = { type: "object", properties: { x: deep } };
    expect(refusal(deep)).toMatch(/nested deeper/);
    const big = { type: "object", description: "x".repeat(OUTPUT_SCHEMA_MAX_BYTES) };
    expect(refusal(big)).toMatch(/larger than/);
  });
});

describe("checkAnswer", () => {
  const validate = compileOutputSchema(schema);

  it("accepts the JSON object, also inside Markdown fences, and keeps data only with a schema", () => {
    const answer = { summary: "S", key_points: ["k"], data: { total: 2 } };
    expect(checkAnswer(`\`\`\`json\n${JSON.stringify(answer)}\n\`\`\``, validate)).toEqual({
      ok: true,
      answer,
    });
    expect(checkAnswer(JSON.stringify(answer), null)).toEqual({
      ok: true,
      answer: { ...answer, data: null },
    });
  });

  it("lists what is wrong, with JSON pointers under /data", () => {
    expect(checkAnswer("no json here", validate)).toEqual({
      ok: false,
      errors: ["the answer is not a single JSON object"],
    });
    expect(checkAnswer(JSON.stringify({ summary: "", key_points: "x" }), validate)).toEqual({
      ok: false,
      errors: [
        expect.stringMatching(/^\/summary: /),
        expect.stringMatching(/^\/key_points: /),
        "/data: required (an object that satisfies the given JSON Schema)",
      ],
    });
    const wrong = { summary: "S", key_points: [], data: { total: 1.5, tags: ["c"], more: 1 } };
    const checked = checkAnswer(JSON.stringify(wrong), validate);
    expect(checked).toEqual({
      ok: false,
      errors: expect.arrayContaining([
        "/data: must NOT have additional properties (more)",
        "/data/total: must be integer",
        '/data/tags/0: must be equal to one of the allowed values (["a","b"])',
      ]),
    });
  });

  it("keeps a free-text answer as the summary, with its bullets as key points", () => {
    expect(lenientAnswer("Overview.\n- one\n2. two\nplain")).toEqual({
      summary: "Overview.\n- one\n2. two\nplain",
      key_points: ["one", "two"],
      data: null,
    });
  });
});
