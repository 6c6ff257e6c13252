import type { CompletionEvent, CompletionRequest, LanguageModel } from "./port.ts";

const EXTRACTIVE_MODEL = "extractive";

const PASSAGES = 3;
const SENTENCES_PER_PASSAGE = 2;
const MAX_QUOTE_CHARS = 600;
const segmenter = new Intl.Segmenter("en", { granularity: "sentence" });
const WORD = /[\p{L}\p{N}]+/gu;

function words(text: string): Set<string> {
  return new Set((text.toLowerCase().match(WORD) ?? []).filter((w) => w.length > 2));
}

const HEADING_LINE = /^ {0,3}#{1,6}(?:\s|$)/;

/**
 * A passage's sentences, paragraph by paragraph. Markdown heading lines are left out (a heading has no
 * full stop, so it would be read as the start of the next sentence) unless the passage is only headings.
 */
function sentencesOf(text: string): string[] {
  const lines = text.split("\n");
  const body = lines.filter((line) => !HEADING_LINE.test(line));
  const kept = body.some((line) => line.trim()) ? body : lines.map((line) => line.replace(HEADING_LINE, ""));
  return kept
    .join("\n")
    .split(/\n\s*\n/)
    .flatMap((paragraph) =>
      Array.from(segmenter.segment(paragraph.replace(/\s+/g, " ")), (sentence) => sentence.segment.trim()),
    )
    .filter(Boolean);
}

/**
 * The passage's sentences that share the most words with the question (or its opening sentences when
 * none does), in their original order.
 */
function bestSentences(text: string, question: Set<string>): string {
  const sentences = sentencesOf(text);
  const scored = sentences.map((sentence, at) => {
    let overlap = 0;
    for (const word of words(sentence)) if (question.has(word)) overlap++;
    return { sentence, at, overlap };
  });
  const matching = scored.filter((s) => s.overlap > 0);
  const ranked = (matching.length > 0 ? matching : scored)
    .sort((a, b) => b.overlap - a.overlap || a.at - b.at)
    .slice(0, SENTENCES_PER_PASSAGE)
    .sort((a, b) => a.at - b.at);
  const quote = ranked.map((r) => r.sentence).join(" ");
  return quote.length > MAX_QUOTE_CHARS ? `${quote.slice(0, MAX_QUOTE_CHARS).trimEnd()}…` : quote;
}

/** The whole answer: what it is (no model), then the best sentences of the top passages, each cited. */
export function extractiveAnswer(request: CompletionRequest): string {
  const question = [...request.messages].reverse().find((m) => m.role === "user")?.content ?? "";
  const sources = request.sources;
  if (sources === undefined) {
    return "No language model is configured, so Quarry cannot write answers of its own. Ask with retrieval turned on (use_rag) to get the most relevant passages from your documents.";
  }
  if (sources.length === 0) {
    return "No language model is configured, and no passage in your documents matches this question, so there is nothing to quote.";
  }
  const terms = words(question);
  const quotes = sources
    .slice(0, PASSAGES)
    .map((source) => `> ${bestSentences(source.text, terms)} [${source.number}]`);
  return [
    "No language model is configured, so this answer quotes the most relevant passages from your documents instead of writing one:",
    ...quotes,
  ].join("\n\n");
}

/** Splits text into word-sized deltas (each word with the whitespace before it), as a model streams. */
export function wordDeltas(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

/**
 * The language model used when none is configured: no generation, it answers with the best sentences
 * of the retrieved passages and their citations, says plainly that no model is configured, and streams
 * word by word. Usage is left to the caller's tokenizer.
 */
export function createExtractiveResponder(): LanguageModel {
  return {
    kind: "extractive",
    model: EXTRACTIVE_MODEL,
    stream(request) {
      return (async function* (): AsyncGenerator<CompletionEvent> {
        const deltas = wordDeltas(extractiveAnswer(request));
        for (let i = 0; i < deltas.length; i++) {
          if (request.signal?.aborted) throw request.signal.reason;
          // Lets other requests run between words, as a network stream would.
          if (i % 16 === 15) await new Promise((resolve) => setImmediate(resolve));
          yield { type: "delta", text: deltas[i] as string };
        }
        yield { type: "done", finishReason: "stop", usage: null };
      })();
    },
  };
}
