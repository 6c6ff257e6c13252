import type { Sentence } from "./sentences.ts";
import { isContentWord } from "./terms.ts";
import type { KeyTerm } from "./types.ts";

export const KEY_TERMS = 10;

interface Candidate {
  term: string;
  parts: string[];
  /** Occurrences, headings counted twice. */
  weighted: number;
  occurrences: number;
  sentences: number;
}

/**
 * Key terms: content words and two-word phrases (adjacent content words, seen at least twice), scored
 * count · ln(1 + N / sentences containing it), with N the number of sentences; an occurrence in a heading
 * counts twice, and phrases weigh 1.5×. The best 10 are kept, skipping a term that is part of (or
 * contains) one already kept; scores are relative to the best (1).
 */
export function keyTerms(sentences: Sentence[]): KeyTerm[] {
  const candidates = new Map<string, Candidate>();
  const see = (parts: string[], weight: number, seenHere: Set<string>) => {
    const term = parts.join(" ");
    const entry = candidates.get(term) ?? { term, parts, weighted: 0, occurrences: 0, sentences: 0 };
    entry.weighted += weight;
    entry.occurrences++;
    if (!seenHere.has(term)) {
      seenHere.add(term);
      entry.sentences++;
    }
    candidates.set(term, entry);
  };
  for (const sentence of sentences) {
    const weight = sentence.heading ? 2 : 1;
    const seenHere = new Set<string>();
    sentence.words.forEach((word, i) => {
      if (!isContentWord(word)) return;
      see([word], weight, seenHere);
      const next = sentence.words[i + 1];
      if (next !== undefined && isContentWord(next) && next !== word) see([word, next], weight, seenHere);
    });
  }
  const n = Math.max(sentences.length, 1);
  const scored = [...candidates.values()]
    .filter((c) => c.parts.length === 1 || c.occurrences >= 2)
    .map((c) => ({
      ...c,
      score: c.weighted * Math.log(1 + n / c.sentences) * (c.parts.length > 1 ? 1.5 : 1),
    }))
    .sort((a, b) => b.score - a.score || a.term.localeCompare(b.term));

  const kept: (Candidate & { score: number })[] = [];
  for (const candidate of scored) {
    if (kept.length === KEY_TERMS) break;
    const overlaps = kept.some(
      (other) =>
        other.parts.every((part) => candidate.parts.includes(part)) ||
        candidate.parts.every((part) => other.parts.includes(part)),
    );
    if (!overlaps) kept.push(candidate);
  }
  const best = kept[0]?.score ?? 1;
  return kept.map((c) => ({
    term: c.term,
    count: c.occurrences,
    score: Math.round((c.score / best) * 1000) / 1000,
  }));
}
