import { countTokens as countCl100k } from "gpt-tokenizer/encoding/cl100k_base";

// Special-token strings in documents are plain text, not control tokens.
const ENCODE_OPTIONS = { disallowedSpecial: new Set<string>() };
// BPE cost grows quadratically with the length of one pre-token (a long run without spaces, e.g.
// base64 or CJK without punctuation); counting such runs in slices bounds the cost and moves the
// count by at most a token per slice.
const MAX_RUN = 256;

/** JavaScript's `\s` (what the tokenizer's split pattern and the long-run rule mean by a space). */
export function isSpace(code: number): boolean {
  if (code < 0x80) return code === 0x20 || (code >= 0x09 && code <= 0x0d);
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/**
 * Tokens of `text` in OpenAI's cl100k_base encoding (the encoding of text-embedding-3-* and
 * ada-002, the usual embedding models behind an OpenAI-compatible server).
 */
export function countTokens(text: string): number {
  if (text.length <= MAX_RUN) return countCl100k(text, ENCODE_OPTIONS);
  let total = 0;
  let from = 0;
  let runStart = 0;
  // A scan by hand: the equivalent /\S{257,}/g costs more than the tokenizer itself.
  for (let at = 0; at <= text.length; at++) {
    if (at < text.length && !isSpace(text.charCodeAt(at))) continue;
    if (at - runStart > MAX_RUN) {
      if (runStart > from) total += countCl100k(text.slice(from, runStart), ENCODE_OPTIONS);
      for (let slice = runStart; slice < at; slice += MAX_RUN) {
        total += countCl100k(text.slice(slice, Math.min(slice + MAX_RUN, at)), ENCODE_OPTIONS);
      }
      from = at;
    }
    runStart = at + 1;
  }
  if (from === 0) return countCl100k(text, ENCODE_OPTIONS);
  if (from < text.length) total += countCl100k(text.slice(from), ENCODE_OPTIONS);
  return total;
}
