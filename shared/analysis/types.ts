import type { Selectable } from "kysely";
import type { AnalysisJobsTable } from "../../db/types.ts";

export type AnalysisJob = Selectable<AnalysisJobsTable>;

/** Where an analysis reads from, as stored in `analysis_jobs.source`. */
export type AnalysisSource =
  | { kind: "file"; name: string; size_bytes: number; sha256: string }
  | { kind: "text"; name: string; size_bytes: number }
  | {
      kind: "url";
      name: string;
      url: string;
      /** Set once the document was fetched (and stored): a retry reads the stored copy. */
      fetched?: { url: string; content_type: string; size_bytes: number; redirects: string[] };
    };

export interface KeyTerm {
  term: string;
  /** Occurrences in the document. */
  count: number;
  /** Relative weight, 1 for the strongest term. */
  score: number;
}

/** What a finished analysis holds in `result` (and in the JSON artifact). */
export interface AnalysisResult {
  /** `model` when a language model wrote it, `extractive` when it was picked from the text. */
  method: "model" | "extractive";
  model: string;
  prompt: string | null;
  language: string | null;
  summary: string;
  key_points: string[];
  key_terms: KeyTerm[];
  /** The object that satisfies `output_schema`, when one was given. */
  data: Record<string, unknown> | null;
  document: { name: string; mime: string; title: string | null; characters: number; chunks: number };
  usage: { calls: number; tokens_in: number; tokens_out: number } | null;
}
