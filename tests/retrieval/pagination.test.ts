import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { seedDocument } from "../helpers/seed-corpus.ts";
import { createTeam } from "../helpers/users.ts";
import { MODES, type SearchItemJson, search, searchOk } from "./helpers.ts";

type Team = Awaited<ReturnType<typeof createTeam>>;

/** Flips one character of a base64url string (to another base64url character). */
function flip(text: string, at: number): string {
  const ch = text[at] === "A" ? "B" : "A";
  return `${text.slice(0, at)}${ch}${text.slice(at + 1)}`;
}

describe("search pagination", () => {
  let t: TestApp;
  let team: Team;
  let other: Team;

  beforeAll(async () => {
    t = await startTestApp();
    [team, other] = await Promise.all([createTeam(t.deps), createTeam(t.deps)]);
    // 13 chunks about the quarterly report, worded differently, over three documents, plus noise.
    const topics = [
      "revenue",
      "costs",
      "hiring",
      "travel",
      "security",
      "marketing",
      "legal",
      "support",
      "sales",
    ];
    for (const [d, name] of ["q1.txt", "q2.txt", "q3.txt"].entries()) {
      const chunks = topics
        .slice(d * 3, d * 3 + 5)
        .map(
          (topic, i) =>
            `The quarterly report ${"section ".repeat(i)}covers ${topic} in detail for the board.`,
        );
      await seedDocument(t.deps, team.tenant.id, {
        name,
        chunks: [...chunks, "Unrelated notes about the garden."],
      });
    }
    await seedDocument(t.deps, other.tenant.id, {
      name: "theirs.txt",
      chunks: ["The quarterly report of another tenant."],
    });
  });
  afterAll(async () => {
    await t.close();
  });

  async function allPages(token: string, body: Record<string, unknown>) {
    const pages: SearchItemJson[][] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await searchOk(t, token, { ...body, cursor });
      pages.push(page.items);
      if (!page.next_cursor) return pages;
      cursor = page.next_cursor;
      if (pages.length > 20) throw new Error("too many pages");
    }
  }

  for (const mode of MODES) {
    it(`pages through a ${mode} ranking without overlap or gaps`, async () => {
      const query = { query: "quarterly report", mode };
      const whole = await searchOk(t, team.reader.token, { ...query, top_k: 50 });
      const pages = await allPages(team.reader.token, { ...query, top_k: 4 });
      expect(pages.slice(0, -1).every((page) => page.length === 4)).toBe(true);
      const paged = pages.flat().map((item) => item.chunk_id);
      expect(new Set(paged).size).toBe(paged.length);
      expect(paged).toEqual(whole.items.map((item) => item.chunk_id));
      expect(paged.length).toBeGreaterThanOrEqual(mode === "lexical" ? 13 : 15);
    });
  }

  it("pages through an MMR ranking the same way", async () => {
    const query = { query: "quarterly report section", mode: "hybrid", mmr: { lambda: 0.6 } };
    const whole = await searchOk(t, team.reader.token, { ...query, top_k: 50 });
    const paged = (await allPages(team.reader.token, { ...query, top_k: 5 })).flat();
    expect(paged.map((item) => item.chunk_id)).toEqual(whole.items.map((item) => item.chunk_id));
  });

  it("answers 400 to a tampered cursor", async () => {
    const first = await searchOk(t, team.reader.token, { query: "quarterly report", top_k: 3 });
    const cursor = first.next_cursor as string;
    expect(cursor).toEqual(expect.any(String));
    const [payload, signature] = cursor.split(".") as [string, string];
    const forged = Buffer.from(JSON.stringify({ v: 1, o: 0, f: "x" })).toString("base64url");
    for (const bad of [
      `${flip(payload, 2)}.${signature}`,
      `${payload}.${flip(signature, 5)}`,
      `${forged}.${signature}`,
      payload,
      "not-a-cursor",
      `${cursor}.extra`,
    ]) {
      const { status, body } = await search(t, team.reader.token, {
        query: "quarterly report",
        top_k: 3,
        cursor: bad,
      });
      expect(status, bad).toBe(400);
      expect(body.error).toMatchObject({ code: "bad_request", details: { field: "cursor" } });
    }
  });

  it("answers 400 to a cursor reused with another query, mode or filter", async () => {
    const first = await searchOk(t, team.reader.token, { query: "quarterly report", top_k: 3 });
    const cursor = first.next_cursor as string;
    for (const changed of [
      { query: "quarterly reports", top_k: 3 },
      { query: "quarterly report", top_k: 4 },
      { query: "quarterly report", top_k: 3, mode: "lexical" },
      { query: "quarterly report", top_k: 3, tags: ["x"] },
      { query: "quarterly report", top_k: 3, mmr: true },
    ]) {
      const { status, body } = await search(t, team.reader.token, { ...changed, cursor });
      expect(status, JSON.stringify(changed)).toBe(400);
      expect(body.error.code).toBe("bad_request");
    }
    const same = await search(t, team.reader.token, { query: "  quarterly   report ", top_k: 3, cursor });
    expect(same.status).toBe(200);
  });

  it("does not carry a cursor across tenants", async () => {
    const first = await searchOk(t, team.reader.token, { query: "quarterly report", top_k: 2 });
    const { status, body } = await search(t, other.reader.token, {
      query: "quarterly report",
      top_k: 2,
      cursor: first.next_cursor,
    });
    expect(status).toBe(400);
    expect(body.error.code).toBe("bad_request");
    const theirs = await searchOk(t, other.reader.token, { query: "quarterly report", top_k: 2 });
    expect(theirs.items.map((item) => item.document_name)).toEqual(["theirs.txt"]);
    expect(theirs.next_cursor).toBeNull();
  });
});
