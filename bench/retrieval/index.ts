import type { Scope } from "../../shared/auth/principal.ts";
import { vectorWeight } from "../../shared/retrieval/search.ts";
import type { SearchMode } from "../../shared/retrieval/types.ts";
import { fmt, printTable } from "../lib/table.ts";
import { benchDeps } from "./bench-deps.ts";
import { evaluateMode, loadFixture, seedFixture, unanswerable } from "./quality.ts";

const MODES: SearchMode[] = ["lexical", "vector", "hybrid"];

/** Recall@1, recall@5 and MRR of each search mode over the fixture questions (built-in embedder). */
export async function benchRetrievalQuality(): Promise<void> {
  const deps = await benchDeps("quarry_bench_retrieval");
  try {
    const tenant = await deps.db
      .insertInto("tenants")
      .values({ slug: "bench", name: "Bench" })
      .returning("id")
      .executeTakeFirstOrThrow();
    const scope: Scope = { tenantId: tenant.id, userId: tenant.id, role: "reader" };
    const chunks = await seedFixture(deps, tenant.id);
    const { questions, chunking } = loadFixture();
    const broken = unanswerable(chunks, questions);
    if (broken.length > 0) throw new Error(`fixture answers not found in the corpus: ${broken.join(", ")}`);
    const results = [];
    for (const mode of MODES) results.push(await evaluateMode(deps, scope, chunks, questions, mode));
    const shared = questions.filter((q) => q.kind === "shared").length;
    printTable(
      `Retrieval quality: ${questions.length} questions (${shared} sharing words with the answer, ` +
        `${questions.length - shared} paraphrased), ${chunks.size} chunks of ${chunking.max_tokens} tokens, ` +
        `embedder ${deps.embedder.model} (${deps.embedder.semantic ? "semantic" : "lexical, not semantic"}), ` +
        `hybrid = RRF k ${deps.config.RRF_K}, weights lexical ${deps.config.HYBRID_WEIGHT_LEXICAL} / vector ${vectorWeight(deps)}`,
      results.map((r) => ({
        mode: r.mode,
        "recall@1": fmt(r.recallAt1, 3),
        "recall@5": fmt(r.recallAt5, 3),
        MRR: fmt(r.mrr, 3),
        "recall@5 shared words": fmt(r.sharedRecallAt5, 3),
        "recall@5 paraphrased": fmt(r.paraphraseRecallAt5, 3),
      })),
    );
    const [lexical, vector, hybrid] = results;
    if (lexical && vector && hybrid && hybrid.recallAt5 < Math.max(lexical.recallAt5, vector.recallAt5)) {
      process.stdout.write(
        "\nWARNING: hybrid recall@5 is below the better single mode: the fusion needs fixing.\n",
      );
    }
  } finally {
    await deps.close();
  }
}
