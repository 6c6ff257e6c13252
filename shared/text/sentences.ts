import type { CountedText } from "./counted-text.ts";
import type { TextRange } from "./markdown-sections.ts";

export interface TokenSpan extends TextRange {
  tokens: number;
}

const segmenter = new Intl.Segmenter("en", { granularity: "sentence" });

/** `[start, end)` of `text` without leading and trailing whitespace; null when only whitespace. */
export function trimRange(text: string, start: number, end: number): TextRange | null {
  let from = start;
  let to = end;
  while (from < to && /\s/.test(text[from])) from++;
  while (to > from && /\s/.test(text[to - 1])) to--;
  return from < to ? { start: from, end: to } : null;
}

// Intl.Segmenter's iteration costs grow with the length of the whole input at each step, so it only
// ever sees one line, in windows of this many characters.
const SEGMENT_WINDOW = 4096;

function lastWhitespace(text: string, from: number, to: number): number {
  for (let at = to; at > from + 1; at--) if (/\s/.test(text[at - 1])) return at;
  return to;
}

/** Sentence boundaries within one line `[from, to)`, pushed as ranges. */
function lineSentences(text: string, from: number, to: number, out: TextRange[]): void {
  let at = from;
  while (at < to) {
    const stop = Math.min(to, at + SEGMENT_WINDOW);
    const segments = Array.from(segmenter.segment(text.slice(at, stop)));
    if (stop === to) {
      for (const { index, segment } of segments)
        out.push({ start: at + index, end: at + index + segment.length });
      return;
    }
    const last = segments[segments.length - 1];
    if (segments.length > 1) {
      for (const { index, segment } of segments.slice(0, -1)) {
        out.push({ start: at + index, end: at + index + segment.length });
      }
      at += last.index;
    } else {
      const cut = lastWhitespace(text, at, stop);
      out.push({ start: at, end: cut });
      at = cut;
    }
  }
}

/**
 * Sentences of `text[start, end)`, counted: Unicode sentence boundaries, and a line break always ends
 * one (as in UAX #29), which lets lines be segmented one at a time.
 */
export function sentenceSpans(counted: CountedText, start: number, end: number): TokenSpan[] {
  const { text } = counted;
  const ranges: TextRange[] = [];
  let lineStart = start;
  while (lineStart < end) {
    const newline = text.indexOf("\n", lineStart);
    const lineEnd = newline === -1 || newline > end ? end : newline;
    lineSentences(text, lineStart, lineEnd, ranges);
    lineStart = lineEnd + 1;
  }
  const spans: TokenSpan[] = [];
  for (const { start: from, end: to } of ranges) {
    const range = trimRange(text, from, to);
    if (range) spans.push({ ...range, tokens: counted.count(range.start, range.end) });
  }
  return spans;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** Moves a cut back to just after whitespace in its second half, and never between a surrogate pair. */
function cutAt(text: string, from: number, to: number, end: number): number {
  if (to >= end) return end;
  let cut = to;
  for (let at = to; at > from + (to - from) / 2; at--) {
    if (/\s/.test(text[at - 1])) {
      cut = at;
      break;
    }
  }
  if (isHighSurrogate(text.charCodeAt(cut - 1)) && cut - 1 > from) cut--;
  return cut;
}

/** Cuts `span` (a sentence too long for the budget) into windows of at most `budget` tokens each. */
export function tokenWindows(counted: CountedText, span: TokenSpan, budget: number): TokenSpan[] {
  const { text } = counted;
  const windows: TokenSpan[] = [];
  const charsPerToken = (span.end - span.start) / Math.max(span.tokens, 1);
  let from = span.start;
  while (from < span.end) {
    let to = cutAt(text, from, from + Math.max(1, Math.floor(budget * charsPerToken * 0.9)), span.end);
    let tokens = counted.count(from, to);
    while (tokens > budget && to - from > 1) {
      to = cutAt(text, from, from + Math.max(1, Math.floor((to - from) * 0.8)), span.end);
      tokens = counted.count(from, to);
    }
    const range = trimRange(text, from, to);
    if (range) windows.push({ ...range, tokens: counted.count(range.start, range.end) });
    from = to;
  }
  return windows;
}

/** The longest end of `span` that starts at a word and after `after`, with at most `budget` tokens. */
export function tokenTail(
  counted: CountedText,
  span: TokenSpan,
  budget: number,
  after: number,
): TokenSpan | null {
  const { text } = counted;
  const charsPerToken = (span.end - span.start) / Math.max(span.tokens, 1);
  let length = Math.floor(budget * charsPerToken);
  while (length > 0) {
    let from = Math.max(span.end - length, after + 1, span.start);
    while (from > span.start && from < span.end && !/\s/.test(text[from - 1])) from++;
    const range = trimRange(text, from, span.end);
    if (!range) return null;
    const tokens = counted.count(range.start, range.end);
    if (tokens <= budget) return { ...range, tokens };
    length = Math.floor((span.end - range.start) * 0.8);
  }
  return null;
}
