import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Scope } from "../../shared/auth/principal.ts";
import { searchChunks } from "../../shared/retrieval/search.ts";
import type { SearchMode } from "../../shared/retrieval/types.ts";
import { uuidv5 } from "../../shared/vectors/point-id.ts";
import { type SeedDeps, seedDocument } from "../../tests/helpers/seed-corpus.ts";

/**
 * The retrieval quality harness: a real corpus (Node.js documentation, MIT) with questions and the
 * passages that answer them (tests/fixtures/retrieval). Each question is searched in each mode; its rank
 * is that of the first result from the right document whose text contains one of the answers.
 */
const FIXTURE_DIR = join(import.meta.dirname, "../../tests/fixtures/retrieval");
const DEPTH = 10;
/** Document (and so chunk) ids derive from the file name (one fixture per database): ties break the same way every run. */
const FIXTURE_NAMESPACE = "2f6d8b1a-4c3e-5a7f-8b9d-0e1c2a3b4d5f";

export interface Question {
  id: string;
  kind: "shared" | "paraphrase";
  document: string;
  question: string;
  answers: string[];
}

interface Fixture {
  chunking: { max_tokens: number; overlap_tokens: number };
  questions: Question[];
}

export function loadFixture(): Fixture & { documents: { name: string; text: string }[] } {
  const fixture = JSON.parse(readFileSync(join(FIXTURE_DIR, "questions.json"), "utf8")) as Fixture;
  const corpus = join(FIXTURE_DIR, "corpus");
  const documents = readdirSync(corpus)
    .filter((name) => name.endsWith(".md") && name !== "SOURCE.md")
    .sort()
    .map((name) => ({ name, text: readFileSync(join(corpus, name), "utf8") }));
  return { ...fixture, documents };
}

const squash = (text: string) => text.replace(/\s+/g, " ");

/** What the harness needs to judge a result: each chunk's document and text. */
export type ChunkIndex = Map<string, { document: string; text: string }>;

/** Seeds the fixture corpus into the tenant (chunked as the fixture says) and indexes its chunks. */
export async function seedFixture(deps: SeedDeps, tenantId: string): Promise<ChunkIndex> {
  const fixture = loadFixture();
  const chunks: ChunkIndex = new Map();
  for (const doc of fixture.documents) {
    const seeded = await seedDocument(deps, tenantId, {
      id: uuidv5(doc.name, FIXTURE_NAMESPACE),
      name: doc.name,
      text: doc.text,
      chunkOptions: {
        maxTokens: fixture.chunking.max_tokens,
        overlapTokens: fixture.chunking.overlap_tokens,
      },
    });
    for (const chunk of seeded.chunks) chunks.set(chunk.id, { document: doc.name, text: squash(chunk.text) });
  }
  return chunks;
}

export interface ModeQuality {
  mode: SearchMode;
  recallAt1: number;
  recallAt5: number;
  mrr: number;
  sharedRecallAt5: number;
  paraphraseRecallAt5: number;
  /** Per question: the 1-based rank of the first answering chunk, or null beyond DEPTH. */
  ranks: Map<string, number | null>;
}

export async function evaluateMode(
  deps: SeedDeps,
  scope: Scope,
  chunks: ChunkIndex,
  questions: Question[],
  mode: SearchMode,
): Promise<ModeQuality> {
  const ranks = new Map<string, number | null>();
  for (const question of questions) {
    const page = await searchChunks(deps, scope, { query: question.question, topK: DEPTH, mode, mmr: false });
    const answers = question.answers.map(squash);
    const at = page.items.findIndex((item) => {
      const chunk = chunks.get(item.chunkId);
      return chunk?.document === question.document && answers.some((answer) => chunk.text.includes(answer));
    });
    ranks.set(question.id, at === -1 ? null : at + 1);
  }
  const recall = (k: number, kind?: Question["kind"]) => {
    const subset = questions.filter((q) => kind === undefined || q.kind === kind);
    const hits = subset.filter((q) => {
      const rank = ranks.get(q.id);
      return rank !== null && rank !== undefined && rank <= k;
    });
    return subset.length === 0 ? 0 : hits.length / subset.length;
  };
  const reciprocal = questions.map((q) => {
    const rank = ranks.get(q.id);
    return rank ? 1 / rank : 0;
  });
  return {
    mode,
    recallAt1: recall(1),
    recallAt5: recall(5),
    mrr: reciprocal.reduce((sum, value) => sum + value, 0) / Math.max(1, questions.length),
    sharedRecallAt5: recall(5, "shared"),
    paraphraseRecallAt5: recall(5, "paraphrase"),
    ranks,
  };
}

/** Questions whose answer passage is not in the corpus as chunked: a broken fixture, not a retrieval miss. */
export function unanswerable(chunks: ChunkIndex, questions: Question[]): string[] {
  const texts = [...chunks.values()];
  return questions
    .filter(
      (q) =>
        !texts.some(
          (chunk) => chunk.document === q.document && q.answers.some((a) => chunk.text.includes(squash(a))),
        ),
    )
    .map((q) => q.id);
}
