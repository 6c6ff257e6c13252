import { createHash } from "node:crypto";
import { type CountedText, countedText } from "./counted-text.ts";
import { type Section, splitSections } from "./markdown-sections.ts";
import { normalizeDocument } from "./normalize.ts";
import { sentenceSpans, type TokenSpan, tokenTail, tokenWindows } from "./sentences.ts";
import type { ChunkDraft, ChunkOptions, ExtractedDocument, PageSpan } from "./types.ts";

export const DEFAULT_CHUNK_OPTIONS: ChunkOptions = { maxTokens: 512, overlapTokens: 64 };

interface Unit extends TokenSpan {
  /** A whole block, which the overlap may still cut into sentences. */
  block: boolean;
}

interface Overlap {
  start: number;
  tokens: number;
}

// Joining two pieces costs about one token (a space or a blank line).
const JOIN_TOKENS = 1;

/** Blocks that fit the unit budget stay whole; bigger ones fall to sentences, then to token windows. */
function sectionUnits(counted: CountedText, section: Section, budget: number): Unit[] {
  const units: Unit[] = [];
  for (const { start, end } of section.blocks) {
    const tokens = counted.count(start, end);
    if (tokens <= budget) {
      units.push({ start, end, tokens, block: true });
      continue;
    }
    for (const sentence of sentenceSpans(counted, start, end)) {
      const pieces = sentence.tokens <= budget ? [sentence] : tokenWindows(counted, sentence, budget);
      for (const piece of pieces) units.push({ ...piece, block: false });
    }
  }
  return units;
}

/** Whole trailing sentences of the chunk worth at most `budget` tokens, or a word-aligned token tail. */
function overlapOf(counted: CountedText, units: Unit[], chunkStart: number, budget: number): Overlap | null {
  let tokens = 0;
  let start: number | null = null;
  let lastSentence: TokenSpan | null = null;
  for (let u = units.length - 1; u >= 0; u--) {
    const unit = units[u];
    const sentences = unit.block ? sentenceSpans(counted, unit.start, unit.end) : [unit];
    for (let s = sentences.length - 1; s >= 0; s--) {
      const sentence = sentences[s];
      lastSentence ??= sentence;
      const cost = sentence.tokens + (start === null ? 0 : JOIN_TOKENS);
      if (tokens + cost > budget || sentence.start <= chunkStart) {
        if (start !== null) return { start, tokens };
        const tail = lastSentence ? tokenTail(counted, lastSentence, budget, chunkStart) : null;
        return tail ? { start: tail.start, tokens: tail.tokens } : null;
      }
      tokens += cost;
      start = sentence.start;
    }
  }
  return start === null ? null : { start, tokens };
}

function pageAt(pages: PageSpan[], offset: number): number | null {
  let low = 0;
  let high = pages.length - 1;
  let found: number | null = null;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (pages[mid].start <= offset) {
      found = pages[mid].page;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return found;
}

interface RawChunk {
  start: number;
  end: number;
  tokens: number;
  headings: string[];
}

/** Packs a section's units into chunks of at most `maxTokens`, each after the first opening with an overlap. */
function packSection(
  counted: CountedText,
  units: Unit[],
  headings: string[],
  options: ChunkOptions,
): RawChunk[] {
  const chunks: RawChunk[] = [];
  let overlap: Overlap | null = null;
  let first = 0;
  while (first < units.length) {
    let estimate = overlap ? overlap.tokens : 0;
    let count = 0;
    while (first + count < units.length) {
      const cost = units[first + count].tokens + (estimate > 0 ? JOIN_TOKENS : 0);
      if (count > 0 && estimate + cost > options.maxTokens) break;
      estimate += cost;
      count++;
    }
    // The estimate sums counts of pieces; the stored count is of the chunk's real text, and rules.
    let tokens: number;
    for (;;) {
      const start: number = overlap ? overlap.start : units[first].start;
      tokens = counted.count(start, units[first + count - 1].end);
      if (tokens <= options.maxTokens || (count === 1 && !overlap)) break;
      if (count > 1) count--;
      else overlap = null;
    }
    const start: number = overlap ? overlap.start : units[first].start;
    const end = units[first + count - 1].end;
    chunks.push({ start, end, tokens, headings });
    const members = units.slice(first, first + count);
    first += count;
    overlap = first < units.length ? overlapOf(counted, members, start, options.overlapTokens) : null;
  }
  return chunks;
}

function validate(options: ChunkOptions): void {
  const { maxTokens, overlapTokens } = options;
  if (!Number.isInteger(maxTokens) || maxTokens < 16)
    throw new RangeError("maxTokens must be an integer ≥ 16");
  if (!Number.isInteger(overlapTokens) || overlapTokens < 0 || overlapTokens > maxTokens / 2) {
    throw new RangeError("overlapTokens must be an integer between 0 and maxTokens / 2");
  }
}

/**
 * Normalises the document, then splits it by structure: Markdown sections first (a chunk never spans
 * two), then blocks, sentences, and token windows for giant sentences; pieces are packed up to
 * `maxTokens` and each chunk after the first in a section repeats the last ~`overlapTokens` of the one
 * before (whole sentences where possible). Token counts are per piece, so the cost stays linear.
 * Deterministic: the same document and options give the same chunks and hashes.
 */
export function chunkDocument(
  doc: ExtractedDocument,
  options: ChunkOptions = DEFAULT_CHUNK_OPTIONS,
): ChunkDraft[] {
  validate(options);
  const { text, pages } = normalizeDocument(doc);
  const counted = countedText(text);
  // Room for the overlap and a join, so every unit fits after any overlap.
  const unitBudget = options.maxTokens - options.overlapTokens - JOIN_TOKENS;
  const raw = splitSections(text).flatMap((section) =>
    packSection(counted, sectionUnits(counted, section, unitBudget), section.headings, options),
  );
  return raw.map((chunk, idx) => {
    const chunkText = text.slice(chunk.start, chunk.end);
    const page = pages.length > 0 ? pageAt(pages, chunk.start) : null;
    const pageEnd = pages.length > 0 ? pageAt(pages, chunk.end - 1) : null;
    return {
      idx,
      text: chunkText,
      contentHash: createHash("sha256").update(chunkText).digest("hex"),
      tokenCount: chunk.tokens,
      page,
      meta:
        pageEnd !== null && pageEnd !== page
          ? { headings: [...chunk.headings], page_end: pageEnd }
          : { headings: [...chunk.headings] },
    };
  });
}
