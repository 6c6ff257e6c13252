import { countTokens, isSpace } from "./tokens.ts";

/** A text whose ranges are counted in tokens without tokenizing the same characters again and again. */
export interface CountedText {
  readonly text: string;
  /** Exactly `countTokens(text.slice(start, end))`. */
  count(start: number, end: number): number;
}

const LF = 0x0a;
const CR = 0x0d;
const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;

/**
 * True when every string holding `text[at - 1]` and `text[at]` splits its count there:
 * `countTokens(s) === countTokens(s.slice(0, i)) + countTokens(s.slice(i))`. No pre-token of the cl100k
 * split pattern holds a non-space followed by a space, except punctuation followed by line breaks
 * (`[^\s\p{L}\p{N}]+[\r\n]*`), nor a line break followed by a non-space; the pattern has no look-behind,
 * so the text after a boundary splits as it would alone, and the text before it too (its only
 * look-aheads, `\s+$` and `\s+(?!\S)`, read no further than the end of a run of spaces, which is the
 * same string either side of the cut). A cut is never inside a run of non-spaces, so the long-run rule
 * of `countTokens` adds up as well.
 */
function isCut(text: string, at: number): boolean {
  const before = text.charCodeAt(at - 1);
  const after = text.charCodeAt(at);
  if (before === LF || before === CR) return !isSpace(after);
  if (isSpace(before) || !isSpace(after)) return false;
  if (after !== LF && after !== CR) return true;
  return LETTER_OR_DIGIT.test(text[at - 1] as string);
}

/** Pieces are counted whole once; a range re-counts only its ends, up to a piece's length each. */
const PIECE_CHARS = 128;

/**
 * Counts `text` once, piece by piece between cuts, and keeps running totals: a range is then its
 * pieces' totals plus its two ends, counted on their own.
 */
export function countedText(text: string): CountedText {
  const cuts = [0];
  const totals = [0];
  let from = 0;
  let total = 0;
  for (let at = PIECE_CHARS; at < text.length; at++) {
    if (!isCut(text, at)) continue;
    total += countTokens(text.slice(from, at));
    cuts.push(at);
    totals.push(total);
    from = at;
    at += PIECE_CHARS - 1;
  }

  /** Index of the first cut at or after `offset` (cuts.length when there is none). */
  function firstCutFrom(offset: number): number {
    let low = 0;
    let high = cuts.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((cuts[mid] as number) < offset) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  return {
    text,
    count(start, end) {
      const first = firstCutFrom(start + 1);
      const last = firstCutFrom(end) - 1;
      if (first > last) return countTokens(text.slice(start, end));
      const head = cuts[first] as number;
      const tail = cuts[last] as number;
      return (
        countTokens(text.slice(start, head)) +
        (totals[last] as number) -
        (totals[first] as number) +
        countTokens(text.slice(tail, end))
      );
    },
  };
}
