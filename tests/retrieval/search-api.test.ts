import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lexicalCandidates } from "../../shared/retrieval/lexical.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { authMatrix } from "../helpers/auth-matrix.ts";
import { seedDocument } from "../helpers/seed-corpus.ts";
import { createTeam } from "../helpers/users.ts";
import { MODES, search, searchOk } from "./helpers.ts";

type Team = Awaited<ReturnType<typeof createTeam>>;

const FILLER =
  "Our office moved to a new building last spring. The cafeteria serves lunch from noon until two, and " +
  "the library on the third floor lends books, magazines and board games to anyone with a badge. Meeting " +
  "rooms are booked through the front desk, and the gym in the basement opens early on weekdays.";

describe("POST /api/rag/search", () => {
  let t: TestApp;
  let team: Team;
  let other: Team;
  const docs: Record<string, string> = {};

  beforeAll(async () => {
    t = await startTestApp();
    [team, other] = await Promise.all([createTeam(t.deps), createTeam(t.deps)]);
    const tenant = team.tenant.id;
    const seed = async (
      key: string,
      name: string,
      chunks: string[],
      extra: { tags?: string[]; status?: "embedding" | "deleting" | "failed" } = {},
    ) => {
      docs[key] = (await seedDocument(t.deps, tenant, { name, chunks, ...extra })).id;
    };
    await seed(
      "handbook",
      "handbook.txt",
      [
        "Vacation policy: every employee gets twenty five days of paid leave per year.",
        `${FILLER} The parking garage closes at midnight, so leave your car on the street after that.`,
        "Expense reports must be filed within thirty days, with every receipt attached.",
      ],
      { tags: ["hr", "policies"] },
    );
    await seed(
      "security",
      "security.txt",
      [
        "Passwords must be rotated every ninety days and never shared: <script>alert(1)</script> & co.",
        "Laptops are encrypted with full disk encryption before they are handed out.",
      ],
      { tags: ["it"] },
    );
    await seed("draft", "draft.txt", ["Vacation policy draft: unlimited paid leave for everyone."], {
      status: "embedding",
    });
    await seed("deleting", "old.txt", ["Vacation policy of 2019: twenty days of paid leave."], {
      status: "deleting",
    });
    await seed("failed", "broken.txt", ["Vacation policy scan, paid leave table unreadable."], {
      status: "failed",
    });
    docs.foreign = (
      await seedDocument(t.deps, other.tenant.id, {
        name: "elsewhere.txt",
        chunks: ["Vacation policy of another company: forty days of paid leave."],
      })
    ).id;
  });
  afterAll(async () => {
    await t.close();
  });

  describe("validation", () => {
    it.each([[""], ["   "], ["\n\t  "], ["\u0000\u0007"]])(
      "answers 422 to the empty query %j",
      async (query) => {
        const { status, body } = await search(t, team.reader.token, { query });
        expect(status).toBe(422);
        expect(body.error.code).toBe("validation_failed");
      },
    );

    it("answers 422 without a query", async () => {
      const { status, body } = await search(t, team.reader.token, { top_k: 3 });
      expect(status).toBe(422);
      expect(body.error.details).toMatchObject({ field: "query" });
    });

    it("takes `text` as an alias of `query`", async () => {
      const page = await searchOk(t, team.reader.token, { text: "vacation policy", mode: "lexical" });
      expect(page.items[0]?.document_id).toBe(docs.handbook);
    });

    it.each([[0], [101], [2.5], ["5"], [-1]])("answers 422 to top_k %j", async (top_k) => {
      const { status, body } = await search(t, team.reader.token, { query: "vacation", top_k });
      expect(status).toBe(422);
      expect(body.error.code).toBe("validation_failed");
    });

    it("answers 422 to an unknown mode", async () => {
      const { status, body } = await search(t, team.reader.token, { query: "vacation", mode: "fuzzy" });
      expect(status).toBe(422);
      expect(body.error.code).toBe("validation_failed");
    });

    it("answers 422 to a query of 100 KB, and 413 to a body over the JSON limit", async () => {
      const big = await search(t, team.reader.token, { query: "vacation ".repeat(12_000) });
      expect(big.status).toBe(422);
      expect(big.body.error.details).toMatchObject({ field: "query", max_chars: 2000 });
      const huge = await search(t, team.reader.token, { query: "x".repeat(2 * 1024 * 1024) });
      expect(huge.status).toBe(413);
    });

    it("searches a query with invisible characters inside instead of failing", async () => {
      const page = await searchOk(t, team.reader.token, {
        query: "vacation\u200bpolicy\u0007",
        mode: "lexical",
      });
      expect(page.items[0]?.document_id).toBe(docs.handbook);
    });

    it("answers 422 naming the query when it holds U+0000, as every JSON body does", async () => {
      const { status, body } = await search(t, team.reader.token, { query: "vacation\u0000policy" });
      expect(status).toBe(422);
      expect(body).toMatchObject({
        error: { code: "validation_failed", details: { issues: [{ path: "query" }] } },
      });
    });

    it("answers 422 to malformed filters", async () => {
      for (const body of [
        { query: "x", doc_id: "not-a-uuid" },
        { query: "x", tags: [] },
        { query: "x", min_score: 2 },
        { query: "x", mmr: { lambda: 1.5 } },
      ]) {
        const { status } = await search(t, team.reader.token, body);
        expect(status, JSON.stringify(body)).toBe(422);
      }
    });
  });

  it("finds nothing, in every mode, in a tenant without documents", async () => {
    const empty = await createTeam(t.deps);
    for (const mode of MODES) {
      const page = await searchOk(t, empty.reader.token, { query: "vacation policy", mode });
      expect(page).toEqual({ items: [], next_cursor: null });
    }
  });

  it("returns the documented shape, best first", async () => {
    const page = await searchOk(t, team.reader.token, { query: "vacation policy paid leave", top_k: 3 });
    expect(page.items.length).toBeGreaterThan(0);
    const first = page.items[0];
    expect(first).toEqual({
      document_id: docs.handbook,
      document_name: "handbook.txt",
      chunk_id: expect.any(String),
      chunk_idx: 0,
      page: null,
      score: expect.any(Number),
      snippet: expect.stringContaining("<mark>"),
    });
    const scores = page.items.map((item) => item.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(first?.score).toBeLessThanOrEqual(1);
  });

  it("never returns another tenant's chunks, in any mode", async () => {
    for (const mode of MODES) {
      const ours = await searchOk(t, team.reader.token, {
        query: "vacation policy paid leave",
        mode,
        top_k: 20,
      });
      expect(ours.items.map((item) => item.document_id)).not.toContain(docs.foreign);
      const theirs = await searchOk(t, other.reader.token, {
        query: "vacation policy paid leave",
        mode,
        top_k: 20,
      });
      expect(new Set(theirs.items.map((item) => item.document_id))).toEqual(new Set([docs.foreign]));
    }
  });

  it("returns only ready documents, in every mode", async () => {
    for (const mode of MODES) {
      const page = await searchOk(t, team.reader.token, {
        query: "vacation policy paid leave",
        mode,
        top_k: 50,
      });
      const found = new Set(page.items.map((item) => item.document_id));
      expect(found.has(docs.handbook as string)).toBe(true);
      for (const hidden of [docs.draft, docs.deleting, docs.failed])
        expect(found.has(hidden as string)).toBe(false);
    }
  });

  it("filters by doc_id, one or several, and finds nothing in another tenant's document", async () => {
    for (const mode of MODES) {
      const one = await searchOk(t, team.reader.token, {
        query: "days",
        mode,
        doc_id: docs.security,
        top_k: 20,
      });
      expect(one.items.length).toBeGreaterThan(0);
      expect(new Set(one.items.map((item) => item.document_id))).toEqual(new Set([docs.security]));
      const both = await searchOk(t, team.reader.token, {
        query: "days",
        mode,
        doc_id: [docs.security, docs.handbook],
        top_k: 20,
      });
      expect(new Set(both.items.map((item) => item.document_id))).toEqual(
        new Set([docs.security, docs.handbook]),
      );
      const foreign = await searchOk(t, team.reader.token, { query: "vacation", mode, doc_id: docs.foreign });
      expect(foreign.items).toEqual([]);
    }
  });

  it("filters by tags (documents carrying any of them)", async () => {
    for (const mode of MODES) {
      const it = await searchOk(t, team.reader.token, { query: "days", mode, tags: "it", top_k: 20 });
      expect(new Set(it.items.map((item) => item.document_id))).toEqual(new Set([docs.security]));
      const any = await searchOk(t, team.reader.token, {
        query: "days",
        mode,
        tags: ["it", "hr"],
        top_k: 20,
      });
      expect(new Set(any.items.map((item) => item.document_id))).toEqual(
        new Set([docs.security, docs.handbook]),
      );
      const none = await searchOk(t, team.reader.token, { query: "days", mode, tags: ["nope"] });
      expect(none.items).toEqual([]);
    }
  });

  it("drops results under min_score", async () => {
    for (const mode of ["vector", "lexical"] as const) {
      const all = await searchOk(t, team.reader.token, {
        query: "vacation policy paid leave days",
        mode,
        top_k: 20,
      });
      expect(all.items.length).toBeGreaterThan(2);
      const floor = all.items[1]?.score as number;
      const cut = await searchOk(t, team.reader.token, {
        query: "vacation policy paid leave days",
        mode,
        top_k: 20,
        min_score: floor,
      });
      expect(cut.items.length).toBeLessThan(all.items.length);
      expect(cut.items.length).toBeGreaterThanOrEqual(2);
      for (const item of cut.items) expect(item.score).toBeGreaterThanOrEqual(floor);
    }
  });

  describe("snippets", () => {
    it("show the matching passage with the matched terms marked, not the chunk's head", async () => {
      const page = await searchOk(t, team.reader.token, { query: "parking garage", mode: "lexical" });
      const [first] = page.items;
      expect(first?.chunk_idx).toBe(1);
      expect(first?.snippet).toContain("<mark>parking</mark> <mark>garage</mark>");
      expect(first?.snippet).not.toContain("Our office moved");
    });

    it("are HTML-safe", async () => {
      const page = await searchOk(t, team.reader.token, { query: "passwords rotated", mode: "lexical" });
      const snippet = page.items[0]?.snippet ?? "";
      expect(snippet).toContain("<mark>Passwords</mark>");
      expect(snippet).toContain("&lt;script&gt;");
      expect(snippet).not.toContain("<script>");
      expect(snippet.replace(/<\/?mark>/g, "")).not.toMatch(/[<>]/);
    });

    it("mark nothing for a chunk only the vector list found", async () => {
      // Misspelt: no word matches, the built-in embedder's character n-grams still do.
      const lexical = await searchOk(t, team.reader.token, { query: "vacaton polcy", mode: "lexical" });
      expect(lexical.items).toEqual([]);
      const vector = await searchOk(t, team.reader.token, { query: "vacaton polcy", mode: "vector" });
      expect(vector.items[0]?.document_id).toBe(docs.handbook);
      expect(vector.items[0]?.snippet).toContain("Vacation policy");
      expect(vector.items[0]?.snippet).not.toContain("<mark>");
    });
  });

  describe("query syntax", () => {
    it("matches any of a plain query's words, more of them ranking first", async () => {
      const page = await searchOk(t, team.reader.token, {
        query: "how are laptops encrypted",
        mode: "lexical",
      });
      expect(page.items[0]?.snippet).toContain("<mark>Laptops</mark>");
    });

    it("honours quoted phrases and OR", async () => {
      const phrase = await searchOk(t, team.reader.token, { query: '"paid leave"', mode: "lexical" });
      expect(phrase.items.map((item) => item.document_id)).toEqual([docs.handbook]);
      const reversed = await searchOk(t, team.reader.token, { query: '"leave paid"', mode: "lexical" });
      expect(reversed.items).toEqual([]);
      const either = await searchOk(t, team.reader.token, { query: "receipt OR laptops", mode: "lexical" });
      expect(new Set(either.items.map((item) => item.document_id))).toEqual(
        new Set([docs.handbook, docs.security]),
      );
    });

    it("uses the tenant's text-search language (stemming) for its chunks", async () => {
      const english = await createTeam(t.deps);
      await t.deps.db
        .updateTable("tenants")
        .set({ text_search_language: "english" })
        .where("id", "=", english.tenant.id)
        .execute();
      await seedDocument(t.deps, english.tenant.id, {
        name: "running.txt",
        chunks: ["The service runs nightly backups of every database.", "Nothing else here."],
      });
      const page = await searchOk(t, english.reader.token, { query: "running backup", mode: "lexical" });
      expect(page.items[0]?.snippet).toContain("<mark>runs</mark>");
      expect(page.items[0]?.snippet).toContain("<mark>backups</mark>");
    });
  });

  it("lets common words rank but not match, unless the query has nothing rarer", async () => {
    const filter = { tenantId: team.tenant.id };
    const query = (text: string) => ({
      tenantId: team.tenant.id,
      globalLanguage: "simple",
      text,
      common: ["days", "every", "laptops"],
    });
    const rare = await lexicalCandidates(t.deps.db, filter, query("receipt every days"), 10);
    expect(rare.map((c) => c.documentId)).toEqual([docs.handbook]);
    // Only common words: a chunk must hold them all.
    expect(await lexicalCandidates(t.deps.db, filter, query("laptops every"), 10)).toEqual([]);
    const common = await lexicalCandidates(t.deps.db, filter, query("every days"), 10);
    expect(common.length).toBeGreaterThan(0);
    const texts = await t.deps.db
      .selectFrom("chunks")
      .select("text")
      .where(
        "id",
        "in",
        common.map((c) => c.chunkId),
      )
      .execute();
    for (const { text } of texts) {
      expect(text).toMatch(/\bevery\b/i);
      expect(text).toMatch(/\bdays\b/);
    }
  });

  it("re-ranks for diversity with mmr", async () => {
    const team2 = await createTeam(t.deps);
    const same = "Alpha beta gamma.";
    for (const name of ["one.txt", "two.txt", "three.txt"]) {
      await seedDocument(t.deps, team2.tenant.id, { name, chunks: [same] });
    }
    const distinct = await seedDocument(t.deps, team2.tenant.id, {
      name: "four.txt",
      chunks: ["Alpha beta, and then a rather different sentence about delta and epsilon."],
    });
    const plain = await searchOk(t, team2.reader.token, { query: "alpha beta", mode: "lexical" });
    expect(
      plain.items
        .slice(0, 3)
        .map((item) => item.document_name)
        .sort(),
    ).toEqual(["one.txt", "three.txt", "two.txt"]);
    const diverse = await searchOk(t, team2.reader.token, {
      query: "alpha beta",
      mode: "lexical",
      mmr: { lambda: 0.5 },
    });
    expect(diverse.items.slice(0, 2).map((item) => item.document_id)).toContain(distinct.id);
    expect(diverse.items).toHaveLength(plain.items.length);
    const defaults = await searchOk(t, team2.reader.token, {
      query: "alpha beta",
      mode: "lexical",
      mmr: true,
    });
    expect(defaults.items).toHaveLength(plain.items.length);
  });

  authMatrix(
    () => t,
    [{ method: "POST", path: "/api/rag/search", minRole: "reader", body: { query: "vacation" } }],
  );

  it("lets every role search", async () => {
    for (const role of ["reader", "editor", "admin"] as const) {
      const page = await searchOk(t, team[role].token, { query: "vacation" });
      expect(page.items.length).toBeGreaterThan(0);
    }
  });
});
