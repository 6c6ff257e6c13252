import { ApiError } from "../errors.ts";
import type { LanguageModel } from "../llm/port.ts";
import { chunkDocument } from "../text/chunk.ts";
import { extractDocument } from "../text/extract.ts";
import { normalizeDocument } from "../text/normalize.ts";
import { sniffDocument } from "../text/sniff.ts";
import type { ChunkOptions, ExtractLimits } from "../text/types.ts";
import { extractiveSummary } from "./extractive-summary.ts";
import { keyTerms } from "./key-terms.ts";
import { mapReduce } from "./map-reduce.ts";
import { compileOutputSchema } from "./output-schema.ts";
import type { AnalysisParams } from "./params.ts";
import { SentenceCollector } from "./sentences.ts";
import type { AnalysisResult } from "./types.ts";

/**
 * Chunks for analysis are larger than for retrieval: each one is a map call, and a model reads a few
 * thousand tokens at once comfortably (small local models included).
 */
export const ANALYSIS_CHUNKS: ChunkOptions = { maxTokens: 1500, overlapTokens: 100 };

export interface AnalyzeInput {
  bytes: Uint8Array;
  /** The name the result shows when the document has no title of its own. */
  name: string;
  params: AnalysisParams;
  llm: LanguageModel;
  limits: ExtractLimits;
  /** Progress from 0 to 1 as chunks are processed; throws to stop the run. */
  progress(value: number, force: boolean): Promise<void>;
}

export const emptyDocument = () =>
  new ApiError("validation_failed", "the document contains no text to analyze", { reason: "empty_document" });

/**
 * Extracts and chunks the document with the ingestion code, then analyses it: map-reduce with the model,
 * or, when none is configured, the extractive summary. Key terms are always computed from the text.
 */
export async function analyzeDocument(input: AnalyzeInput): Promise<AnalysisResult> {
  const { llm, params } = input;
  const sniffed = await sniffDocument(input.bytes);
  const extracted = await extractDocument(input.bytes, sniffed.kind, input.limits);
  const text = normalizeDocument(extracted).text;
  const chunks = text.trim() === "" ? [] : chunkDocument(extracted, ANALYSIS_CHUNKS);
  if (chunks.length === 0) throw emptyDocument();
  // The scale the progress bar moves on: chunks read, then one more step for the final answer.
  const steps = chunks.length + 1;

  const sentences = new SentenceCollector();
  const useModel = llm.kind !== "extractive";
  if (!useModel && params.output_schema) {
    throw new ApiError("validation_failed", "output_schema needs a language model, and none is configured", {
      field: "params.output_schema",
    });
  }
  for (const [i, chunk] of chunks.entries()) {
    sentences.add(chunk.text);
    if (!useModel) await input.progress((i + 1) / steps, false);
  }
  const terms = keyTerms(sentences.sentences);
  const document = {
    name: input.name,
    mime: sniffed.mime,
    title: extracted.title,
    characters: text.length,
    chunks: chunks.length,
  };
  const common = {
    prompt: params.prompt ?? null,
    language: params.language ?? null,
    key_terms: terms,
    document,
  };
  if (!useModel) {
    const summary = extractiveSummary(sentences.sentences, text);
    return { method: "extractive", model: llm.model, ...summary, data: null, ...common, usage: null };
  }
  const { answer, usage } = await mapReduce({
    llm,
    chunks: chunks.map((chunk) => chunk.text),
    params,
    validate: params.output_schema ? compileOutputSchema(params.output_schema) : null,
    afterChunk: (done) => input.progress(done / steps, true),
  });
  return { method: "model", model: llm.model, ...answer, ...common, usage };
}
