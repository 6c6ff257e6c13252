import { describe, expect, it } from "vitest";
import { extractiveSummary } from "../../shared/analysis/extractive-summary.ts";
import { keyTerms } from "../../shared/analysis/key-terms.ts";
import { SentenceCollector } from "../../shared/analysis/sentences.ts";
import { ARTICLE } from "./fixtures.ts";

function collect(...chunks: string[]) {
  const collector = new SentenceCollector();
  for (const chunk of chunks) collector.add(chunk);
  return collector.sentences;
}

describe("SentenceCollector", () => {
  it("splits sentences, strips Markdown, marks headings, skips code and tables, drops repeats", () => {
    const sentences = collect(
      "# The **big** title\n\nFirst [linked](http://x) sentence here. Second one follows.\n\n- A list item with `code` words.",
      "Second one follows.\n\n```\nconst x = 1; // not prose.\n```\n\n| a | b |\n|---|---|\n\nLast words.",
    );
    expect(sentences.map((s) => [s.text, s.heading])).toEqual([
      ["The big title", true],
      ["First linked sentence here.", false],
      ["Second one follows.", false],
      ["A list item with code words.", false],
      ["Last words.", false],
    ]);
    expect([...(sentences[1]?.terms ?? [])]).toEqual(["first", "linked", "sentence"]);
  });
});

describe("extractiveSummary", () => {
  it("picks three sentences for the summary and up to seven key points, in document order, deterministically", () => {
    const sentences = collect(ARTICLE);
    const a = extractiveSummary(sentences, ARTICLE);
    const b = extractiveSummary(collect(ARTICLE), ARTICLE);
    expect(b).toEqual(a);
    const order = (text: string) => ARTICLE.replace(/\s+/g, " ").indexOf(text);
    const summary = a.summary.split(/(?<=\.) /);
    expect(summary).toHaveLength(3);
    expect(summary.map(order)).toEqual([...summary.map(order)].sort((x, y) => x - y));
    expect(a.key_points.length).toBeLessThanOrEqual(7);
    expect(a.key_points.map(order)).toEqual([...a.key_points.map(order)].sort((x, y) => x - y));
    for (const text of [...summary, ...a.key_points]) expect(order(text)).toBeGreaterThanOrEqual(0);
    // Headings are never quoted.
    expect(a.summary).not.toContain("Costs");
  });

  it("prefers sentences about what the document keeps returning to", () => {
    const text = [
      "Kettles boil water quickly in most kitchens today.",
      "The weather was pleasant on Tuesday afternoon downtown.",
      "Electric kettles boil water faster than kettles on a stove.",
      "A kettle should be descaled when water leaves white marks.",
      "Bananas are yellow when they ripen on the counter.",
      "Kettles switch off by themselves once the water boils.",
    ].join(" ");
    const { summary } = extractiveSummary(collect(text), text);
    expect(summary).not.toContain("weather");
    expect(summary).not.toContain("Bananas");
    expect(summary).toContain("Electric kettles boil water faster");
  });

  it("skips a sentence that repeats one already chosen", () => {
    const text = [
      "Solar panels on the office roof produce electricity for the building.",
      "Solar panels on the office roof produce electricity for the whole building.",
      "The inverter converts direct current into alternating current.",
      "Maintenance means cleaning the glass of the panels twice a year.",
    ].join(" ");
    const { summary, key_points } = extractiveSummary(collect(text), text);
    const all = [...summary.split(/(?<=\.) /), ...key_points];
    expect(all.filter((s) => s.startsWith("Solar panels on the office roof"))).toHaveLength(1);
  });

  it("falls back to the opening of the text when no sentence qualifies", () => {
    const text = "12 34 56\n78 90";
    expect(extractiveSummary(collect(text), text)).toEqual({ summary: "12 34 56 78 90", key_points: [] });
  });
});

describe("keyTerms", () => {
  it("ranks repeated phrases and words, counts occurrences, and does not repeat a term inside a phrase", () => {
    const terms = keyTerms(collect(ARTICLE));
    expect(terms[0]).toEqual({ term: "solar panels", count: 7, score: 1 });
    expect(terms.map((t) => t.term)).not.toContain("solar");
    expect(terms.map((t) => t.term)).not.toContain("panels");
    expect(terms.length).toBeLessThanOrEqual(10);
    for (const [i, term] of terms.entries()) {
      expect(term.score).toBeLessThanOrEqual(1);
      if (i > 0) expect(term.score).toBeLessThanOrEqual(terms[i - 1]?.score ?? 1);
    }
    expect(terms.map((t) => t.term)).not.toContain("the");
  });

  it("is empty for a text without content words", () => {
    expect(keyTerms(collect("1 2 3. It is. A b c."))).toEqual([]);
  });
});
