import type { Sentence } from "./sentences.ts";

/** Sentences in the summary; the next best ones become the key points. */
export const SUMMARY_SENTENCES = 3;
export const KEY_POINTS = 7;
/** Two sentences sharing more than this share of their terms (Jaccard) say the same thing. */
const MAX_OVERLAP = 0.5;
/** Weight of the position prior: the first sentence scores up to 30% more than the last. */
const POSITION_WEIGHT = 0.3;
const MIN_TERMS = 3;
const MIN_CHARS = 20;
const MAX_CHARS = 600;
const FALLBACK_CHARS = 500;

export interface ExtractiveSummary {
  summary: string;
  key_points: string[];
}

function jaccard(a: Set<string>, b: Set<string>): number {
  let shared = 0;
  for (const term of a) if (b.has(term)) shared++;
  return shared / (a.size + b.size - shared || 1);
}

/**
 * The extractive summary: TF-IDF sentence scoring with a position prior and a redundancy filter.
 *
 * 1. Candidates are the document's sentences (headings, code and table rows excluded) with at least
 *    3 content words and 20–600 characters.
 * 2. Each content word t gets weight(t) = (1 + ln tf(t)) · ln(1 + N / df(t)), where tf is its count in
 *    the candidates, df the number of candidates that contain it and N the number of candidates: words the
 *    document keeps returning to weigh more, words in nearly every sentence weigh less.
 * 3. A sentence scores the sum of its distinct words' weights divided by √(its distinct word count), so
 *    length helps only sub-linearly, times a position prior 1 + 0.3 · (1 − position / (N − 1)): openings
 *    tend to state what a document is about.
 * 4. Sentences are taken best first, skipping any that shares more than half of its words (Jaccard) with
 *    one already taken, until 3 + 7 are chosen. The best 3, in document order, are the summary; the next 7,
 *    in document order, are the key points.
 * Deterministic: the same text gives the same result. When no sentence qualifies (a list of numbers, a
 * table) the summary is the opening of the text.
 */
export function extractiveSummary(sentences: Sentence[], fallbackText: string): ExtractiveSummary {
  const candidates = sentences.filter(
    (s) =>
      !s.heading && s.terms.size >= MIN_TERMS && s.text.length >= MIN_CHARS && s.text.length <= MAX_CHARS,
  );
  if (candidates.length === 0) {
    const opening = fallbackText.replace(/\s+/g, " ").trim();
    return {
      summary: opening.length > FALLBACK_CHARS ? `${opening.slice(0, FALLBACK_CHARS).trimEnd()}…` : opening,
      key_points: [],
    };
  }
  const tf = new Map<string, number>();
  const df = new Map<string, number>();
  for (const sentence of candidates) {
    for (const word of sentence.words) if (sentence.terms.has(word)) tf.set(word, (tf.get(word) ?? 0) + 1);
    for (const term of sentence.terms) df.set(term, (df.get(term) ?? 0) + 1);
  }
  const n = candidates.length;
  const weight = (term: string) => (1 + Math.log(tf.get(term) ?? 1)) * Math.log(1 + n / (df.get(term) ?? 1));
  const scored = candidates.map((sentence, rank) => {
    let sum = 0;
    for (const term of sentence.terms) sum += weight(term);
    const prior = 1 + POSITION_WEIGHT * (n === 1 ? 1 : 1 - rank / (n - 1));
    return { sentence, score: (sum / Math.sqrt(sentence.terms.size)) * prior };
  });
  scored.sort((a, b) => b.score - a.score || a.sentence.position - b.sentence.position);

  const chosen: Sentence[] = [];
  for (const { sentence } of scored) {
    if (chosen.length === SUMMARY_SENTENCES + KEY_POINTS) break;
    if (chosen.some((other) => jaccard(other.terms, sentence.terms) > MAX_OVERLAP)) continue;
    chosen.push(sentence);
  }
  const inOrder = (list: Sentence[]) => [...list].sort((a, b) => a.position - b.position).map((s) => s.text);
  return {
    summary: inOrder(chosen.slice(0, SUMMARY_SENTENCES)).join(" "),
    key_points: inOrder(chosen.slice(SUMMARY_SENTENCES)),
  };
}
