import type { ValidateFunction } from "ajv";
import { ApiError } from "../errors.ts";
import type { LanguageModel, LlmMessage } from "../llm/port.ts";
import { countTokens } from "../text/tokens.ts";
import { checkAnswer, lenientAnswer, type ModelAnswer } from "./model-answer.ts";
import type { AnalysisParams } from "./params.ts";

/** Notes are merged in rounds until all of them fit in one final prompt of about this many tokens. */
const REDUCE_BUDGET_TOKENS = 6000;
const NOTES_MAX_TOKENS = 600;
const ANSWER_MAX_TOKENS = 2000;
export const DEFAULT_TASK = "Summarise the document and list its key points.";

export interface Usage {
  calls: number;
  tokens_in: number;
  tokens_out: number;
}

export interface MapReduceInput {
  llm: LanguageModel;
  /** The document's chunks, in order. */
  chunks: string[];
  params: AnalysisParams;
  /** The compiled output schema, when one was given. */
  validate: ValidateFunction | null;
  /** Called after each chunk is read; throws to stop the run (canceled, superseded). */
  afterChunk(done: number, total: number): Promise<void>;
}

/** The model's answer still breaks the output schema after the repair round: the job fails with these. */
export class OutputSchemaError extends ApiError {
  constructor(readonly errors: string[]) {
    super(
      "validation_failed",
      `the model's output does not satisfy output_schema, even after one repair: ${errors.join("; ")}`,
      { errors },
    );
    this.name = "OutputSchemaError";
  }
}

async function complete(
  llm: LanguageModel,
  messages: LlmMessage[],
  usage: Usage,
  options: { temperature?: number; maxTokens: number },
): Promise<string> {
  let text = "";
  for await (const event of llm.stream({ messages, ...options })) {
    if (event.type === "delta") text += event.text;
    else if (event.usage) {
      usage.tokens_in += event.usage.tokensIn;
      usage.tokens_out += event.usage.tokensOut;
    }
  }
  usage.calls++;
  return text.trim();
}

function instructions(params: AnalysisParams): string {
  const language = params.language ? `\nWrite in this language: ${params.language}.` : "";
  return `Task: ${params.prompt ?? DEFAULT_TASK}${language}`;
}

const NOTES_SYSTEM =
  "You read one part of a longer document so that the whole can be analysed later. Write concise notes, " +
  "at most 8 short bullet points, on what this part says that matters for the task: facts, figures, names, " +
  "decisions, conclusions. Use only what the text says.";

const MERGE_SYSTEM =
  "You merge notes taken on consecutive parts of one document into one shorter set of notes (at most 12 " +
  "bullet points), keeping every fact that matters for the task and dropping repetition.";

function finalSystem(params: AnalysisParams): string {
  const shape = params.output_schema
    ? '{"summary": string, "key_points": [string, ...], "data": object}, where "data" satisfies this JSON Schema:\n' +
      JSON.stringify(params.output_schema)
    : '{"summary": string, "key_points": [string, ...]}';
  return (
    "You write the final analysis of a document. The summary is one to three paragraphs; key_points has " +
    "3 to 10 short items. Use only what the material says. Answer with one JSON object and nothing else " +
    `(no Markdown fences, no comments), of the form ${shape}`
  );
}

/** Groups of consecutive notes, each within the budget (a note over it on its own). */
function batches(notes: string[]): string[][] {
  const groups: string[][] = [];
  let current: string[] = [];
  let tokens = 0;
  for (const note of notes) {
    const size = countTokens(note);
    if (current.length > 0 && tokens + size > REDUCE_BUDGET_TOKENS) {
      groups.push(current);
      current = [];
      tokens = 0;
    }
    current.push(note);
    tokens += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

const numbered = (notes: string[], label: string) =>
  notes.map((note, i) => `${label} ${i + 1}:\n${note}`).join("\n\n");

/**
 * Map-reduce over the chunks: notes per chunk (map), merged in rounds while they exceed one prompt's budget
 * (reduce), then one final answer as JSON. A document of one chunk goes straight to the final answer. With
 * an output schema the answer is validated; an invalid one is sent back once with its errors (repair), and
 * one still invalid fails with OutputSchemaError. Without a schema, an answer that is not the asked-for JSON
 * is kept as text.
 */
export async function mapReduce(input: MapReduceInput): Promise<{ answer: ModelAnswer; usage: Usage }> {
  const { llm, chunks, params } = input;
  const usage: Usage = { calls: 0, tokens_in: 0, tokens_out: 0 };
  const task = instructions(params);
  const temperature = params.temperature;
  let material: string;
  if (chunks.length === 1) {
    material = `Document:\n"""\n${chunks[0]}\n"""`;
    await input.afterChunk(1, 1);
  } else {
    let notes: string[] = [];
    for (const [i, chunk] of chunks.entries()) {
      const prompt = `${task}\n\nPart ${i + 1} of ${chunks.length}:\n"""\n${chunk}\n"""`;
      const messages: LlmMessage[] = [
        { role: "system", content: NOTES_SYSTEM },
        { role: "user", content: prompt },
      ];
      notes.push(await complete(llm, messages, usage, { temperature, maxTokens: NOTES_MAX_TOKENS }));
      await input.afterChunk(i + 1, chunks.length);
    }
    for (
      let groups = batches(notes);
      groups.length > 1 && groups.length < notes.length;
      groups = batches(notes)
    ) {
      notes = [];
      for (const group of groups) {
        const messages: LlmMessage[] = [
          { role: "system", content: MERGE_SYSTEM },
          { role: "user", content: `${task}\n\n${numbered(group, "Notes")}` },
        ];
        notes.push(await complete(llm, messages, usage, { temperature, maxTokens: NOTES_MAX_TOKENS * 2 }));
      }
    }
    material = numbered(notes, "Notes on part");
  }

  const messages: LlmMessage[] = [
    { role: "system", content: finalSystem(params) },
    { role: "user", content: `${task}\n\n${material}` },
  ];
  const options = { temperature, maxTokens: ANSWER_MAX_TOKENS };
  const first = await complete(llm, messages, usage, options);
  const checked = checkAnswer(first, input.validate);
  if (checked.ok) return { answer: checked.answer, usage };
  if (!input.validate) return { answer: lenientAnswer(first), usage };
  const repairPrompt =
    `Your answer is not valid:\n${checked.errors.map((e) => `- ${e}`).join("\n")}\n` +
    "Answer again with only the corrected JSON object.";
  const second = await complete(
    llm,
    [...messages, { role: "assistant", content: first }, { role: "user", content: repairPrompt }],
    usage,
    options,
  );
  const repaired = checkAnswer(second, input.validate);
  if (repaired.ok) return { answer: repaired.answer, usage };
  throw new OutputSchemaError(repaired.errors);
}
