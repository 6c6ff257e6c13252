import { countTokens as countCl100k } from "gpt-tokenizer/encoding/cl100k_base";

// Special-token strings in documents are plain text, not control tokens.
const ENCODE_OPTIONS = { disallowedSpecial: new Set<string>() };
// BPE cost grows quadratically with the length of one pre-token (a long run without spaces, e.g.
// base64 or CJK without punctuation); counting such runs in slices bounds the cost and moves the
// count by at most a token per slice.
const MAX_RUN = 256;
const LONG_RUN = new RegExp(`\\S{${MAX_RUN + 1},}`, "g");

/**
 * Tokens of `text` in OpenAI's cl100k_base encoding (the encoding of text-embedding-3-* and
 * ada-002, the usual embedding models behind an OpenAI-compatible server).
 */
export function countTokens(text: string): number {
  if (text.length <= MAX_RUN) return countCl100k(text, ENCODE_OPTIONS);
  let total = 0;
  let from = 0;
  for (const match of text.matchAll(LONG_RUN)) {
    if (match.index > from) total += countCl100k(text.slice(from, match.index), ENCODE_OPTIONS);
    const end = match.index + match[0].length;
    for (let at = match.index; at < end; at += MAX_RUN) {
      total += countCl100k(text.slice(at, Math.min(at + MAX_RUN, end)), ENCODE_OPTIONS);
    }
    from = end;
  }
  if (from === 0) return countCl100k(text, ENCODE_OPTIONS);
  if (from < text.length) total += countCl100k(text.slice(from), ENCODE_OPTIONS);
  return total;
}
