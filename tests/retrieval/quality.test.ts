import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type ChunkIndex,
  evaluateMode,
  loadFixture,
  seedFixture,
  unanswerable,
} from "../../bench/retrieval/quality.ts";
import type { Scope } from "../../shared/auth/principal.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createTenant } from "../helpers/users.ts";

describe("retrieval quality harness (Node.js docs fixture, built-in embedder)", () => {
  let t: TestApp;
  let scope: Scope;
  let chunks: ChunkIndex;
  const { questions } = loadFixture();

  beforeAll(async () => {
    t = await startTestApp();
    const tenant = await createTenant(t.deps);
    scope = { tenantId: tenant.id, userId: tenant.id, role: "reader" };
    chunks = await seedFixture(t.deps, tenant.id);
  });
  afterAll(async () => {
    await t.close();
  });

  it("has 40+ questions, each answerable from the corpus as chunked", () => {
    expect(questions.length).toBeGreaterThanOrEqual(40);
    expect(questions.some((q) => q.kind === "shared")).toBe(true);
    expect(questions.some((q) => q.kind === "paraphrase")).toBe(true);
    expect(unanswerable(chunks, questions)).toEqual([]);
  });

  it("hybrid recall@5 is not worse than the better of lexical and vector", async () => {
    const lexical = await evaluateMode(t.deps, scope, chunks, questions, "lexical");
    const vector = await evaluateMode(t.deps, scope, chunks, questions, "vector");
    const hybrid = await evaluateMode(t.deps, scope, chunks, questions, "hybrid");
    expect(hybrid.recallAt5).toBeGreaterThanOrEqual(Math.max(lexical.recallAt5, vector.recallAt5));
    // The questions that share words with their answer are what lexical matching is for.
    expect(lexical.sharedRecallAt5).toBeGreaterThanOrEqual(0.8);
  });
});
