import { countedText } from "../text/counted-text.ts";
import { sentenceSpans } from "../text/sentences.ts";
import { isContentWord, words } from "./terms.ts";

export interface Sentence {
  /** The sentence with Markdown markup removed. */
  text: string;
  /** Order in the document (0-based, after duplicates were dropped). */
  position: number;
  /** Every word, lowercased, in order. */
  words: string[];
  /** The distinct content words. */
  terms: Set<string>;
  /** A Markdown heading: counted for key terms, never quoted in a summary. */
  heading: boolean;
}

const HEADING = /^#{1,6}\s+/;
const LIST_MARKER = /^(?:>\s*)*(?:[-*+]|\d{1,3}[.)])\s+/;
const TABLE_ROW = /^\|.*\|$/;
const FENCE = /^(?:```|~~~)/;

/** Markdown inline markup the canonical text carries (links, emphasis, code ticks) turned into plain text. */
function plain(text: string): string {
  return text
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/(\*\*|__|[*_`])(\S(?:.*?\S)?)\1/g, "$2")
    .replace(/\s+/g, " ")
    .trim();
}

/**
 * Collects a document's sentences chunk by chunk: call `add` for each chunk in order. Chunks overlap, so
 * a sentence seen before (same text) is dropped; code blocks and table rows are skipped.
 */
export class SentenceCollector {
  readonly sentences: Sentence[] = [];
  private readonly seen = new Set<string>();

  add(chunkText: string): void {
    const counted = countedText(chunkText);
    let inFence = false;
    let offset = 0;
    for (const line of chunkText.split("\n")) {
      const start = offset;
      offset += line.length + 1;
      const trimmed = line.trim();
      if (FENCE.test(trimmed)) inFence = !inFence;
      if (inFence || FENCE.test(trimmed) || TABLE_ROW.test(trimmed) || trimmed === "") continue;
      const heading = HEADING.test(trimmed);
      for (const span of sentenceSpans(counted, start, start + line.length)) {
        const raw = chunkText.slice(span.start, span.end).replace(HEADING, "").replace(LIST_MARKER, "");
        this.push(plain(raw), heading);
      }
    }
  }

  private push(text: string, heading: boolean): void {
    if (text === "" || this.seen.has(text)) return;
    this.seen.add(text);
    const all = words(text);
    this.sentences.push({
      text,
      position: this.sentences.length,
      words: all,
      terms: new Set(all.filter(isContentWord)),
      heading,
    });
  }
}
