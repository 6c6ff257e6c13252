import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { chunkDocument } from "../../shared/text/chunk.ts";
import { extractDocument } from "../../shared/text/extract.ts";
import { countTokens } from "../../shared/text/tokens.ts";
import type { ChunkDraft, ChunkOptions, ExtractedDocument } from "../../shared/text/types.ts";
import { buildPdf, prose } from "./builders.ts";

const doc = (text: string): ExtractedDocument => ({ text, pages: [], title: null });

/** Length of the longest end of `prev` that `next` starts with. */
function overlapLength(prev: string, next: string): number {
  for (let length = Math.min(prev.length, next.length) - 1; length > 0; length--) {
    if (prev.endsWith(next.slice(0, length))) return length;
  }
  return 0;
}

function expectWellFormed(chunks: ChunkDraft[], options: ChunkOptions): void {
  expect(chunks.length).toBeGreaterThan(0);
  chunks.forEach((chunk, i) => {
    expect(chunk.idx).toBe(i);
    expect(chunk.text.trim()).toBe(chunk.text);
    expect(chunk.text.length).toBeGreaterThan(0);
    expect(chunk.tokenCount).toBe(countTokens(chunk.text));
    expect(chunk.tokenCount).toBeLessThanOrEqual(options.maxTokens);
    expect(chunk.contentHash).toBe(createHash("sha256").update(chunk.text).digest("hex"));
  });
}

const GUIDE = [
  "# Field guide",
  prose(3, 1),
  "## Install",
  "### Linux",
  prose(40, 2),
  prose(25, 3),
  "### Windows",
  prose(6, 4),
  "## Use",
  "```\n# not a heading inside a fence\nrun --fast\n\nstill code\n```",
  prose(30, 5),
].join("\n\n");

describe("chunkDocument", () => {
  const options = { maxTokens: 128, overlapTokens: 24 };

  it("keeps every chunk within the token budget, contiguous, hashed and non-empty", () => {
    const chunks = chunkDocument(doc(GUIDE), options);
    expectWellFormed(chunks, options);
    expect(chunks.length).toBeGreaterThan(6);
  });

  it("is deterministic", () => {
    const first = chunkDocument(doc(GUIDE), options);
    const second = chunkDocument(doc(`${GUIDE}`), options);
    expect(second).toEqual(first);
    expect(new Set(first.map((c) => c.contentHash)).size).toBe(first.length);
  });

  it("splits on headings first and records the heading path", () => {
    const chunks = chunkDocument(doc(GUIDE), options);
    const paths = [...new Set(chunks.map((c) => c.meta.headings.join(" > ")))];
    expect(paths).toEqual([
      "Field guide",
      "Field guide > Install > Linux",
      "Field guide > Install > Windows",
      "Field guide > Use",
    ]);
    const linux = chunks.filter((c) => c.meta.headings.at(-1) === "Linux");
    expect(linux[0].text.startsWith("## Install\n\n### Linux\n\n")).toBe(true);
    for (const chunk of chunks) {
      expect(chunk.text.includes("### Windows")).toBe(
        chunk.meta.headings.at(-1) === "Windows" && chunk.text.startsWith("### Windows"),
      );
    }
    const use = chunks.filter((c) => c.meta.headings.at(-1) === "Use");
    expect(use[0].text).toContain("# not a heading inside a fence\nrun --fast\n\nstill code");
    expect(use.every((c) => c.meta.headings.length === 2)).toBe(true);
  });

  it("overlaps consecutive chunks of a section by whole sentences within the overlap budget", () => {
    const chunks = chunkDocument(doc(GUIDE), options);
    let checked = 0;
    for (let i = 1; i < chunks.length; i++) {
      const [prev, next] = [chunks[i - 1], chunks[i]];
      const length = overlapLength(prev.text, next.text);
      if (prev.meta.headings.join() !== next.meta.headings.join()) {
        expect(next.text.startsWith("#")).toBe(true);
        continue;
      }
      checked++;
      expect(length).toBeGreaterThan(0);
      const shared = next.text.slice(0, length);
      expect(shared).toMatch(/^[A-Z]/);
      expect(shared).toMatch(/\.$/);
      expect(countTokens(shared)).toBeLessThanOrEqual(options.overlapTokens);
      expect(length).toBeLessThan(prev.text.length);
    }
    expect(checked).toBeGreaterThan(3);
  });

  it("cuts a giant sentence into token windows and long unbroken runs into bounded pieces", () => {
    const words = prose(400, 9).replace(/\./g, "").toLowerCase();
    const run = "x".repeat(20_000);
    const opts = { maxTokens: 64, overlapTokens: 8 };
    const chunks = chunkDocument(doc(`${words}\n\n${run}`), opts);
    expectWellFormed(chunks, opts);
    // A run has no word boundary to start an overlap at, so its pieces add up to exactly the run.
    const xs = chunks.reduce((sum, c) => sum + (c.text.match(/x/g)?.length ?? 0), 0);
    expect(xs).toBe(run.length);
    const wordChunks = chunks.filter((c) => !c.text.includes("x"));
    expect(wordChunks.length).toBeGreaterThan(10);
    for (let i = 1; i < wordChunks.length; i++) {
      expect(overlapLength(wordChunks[i - 1].text, wordChunks[i].text)).toBeGreaterThan(0);
    }
  });

  it("normalises before chunking and emits nothing for blank text", () => {
    const [chunk] = chunkDocument(doc("The infor-\nmation age\r\n\r\n\r\nbegan.\u0000"), options);
    expect(chunk.text).toBe("The information age\n\nbegan.");
    expect(chunkDocument(doc(" \n\t\n "), options)).toEqual([]);
  });

  it("rejects budgets that cannot work", () => {
    expect(() => chunkDocument(doc("x"), { maxTokens: 8, overlapTokens: 0 })).toThrow(RangeError);
    expect(() => chunkDocument(doc("x"), { maxTokens: 100, overlapTokens: 60 })).toThrow(RangeError);
  });

  it("carries the page where each chunk starts (and ends) through a real 3-page PDF", async () => {
    const topics = ["granite", "marble", "limestone"];
    const pages = topics.map((topic, p) => [
      "ACME Stone Survey — confidential",
      ...Array.from(
        { length: 12 },
        (_, i) => `The ${topic} bench number ${i + 1} was measured on day ${p * 20 + i}.`,
      ),
      p === 1 ? `This ${topic} line carries the infor-` : `A closing remark about the ${topic} survey.`,
      p === 1 ? "mation that was split." : `Nothing else to add about ${topic}.`,
      `Page ${p + 1} of 3`,
    ]);
    const pdf = await buildPdf(pages);
    const extracted = await extractDocument(pdf, "pdf", { maxUnpackedBytes: 1, maxEntries: 1 });
    const opts = { maxTokens: 64, overlapTokens: 12 };
    const chunks = chunkDocument(extracted, opts);
    expectWellFormed(chunks, opts);
    expect(chunks.some((c) => c.text.includes("ACME Stone Survey") || /Page \d of 3/.test(c.text))).toBe(
      false,
    );
    expect(chunks.some((c) => c.text.includes("carries the information that was split."))).toBe(true);
    for (const chunk of chunks) {
      const first = topics.findIndex((topic) => chunk.text.includes(topic));
      expect(chunk.page).toBe(first + 1);
      const last = topics.findLastIndex((topic) => chunk.text.includes(topic));
      if (last !== first) expect(chunk.meta.page_end).toBe(last + 1);
      else expect(chunk.meta.page_end).toBeUndefined();
    }
    expect(new Set(chunks.map((c) => c.page))).toEqual(new Set([1, 2, 3]));
    expect(chunks.some((c) => c.meta.page_end !== undefined)).toBe(true);
  });

  it("chunks ~5 MB of text quickly (time logged, not asserted)", () => {
    const sections: string[] = [];
    let size = 0;
    for (let s = 0; size < 5_000_000; s++) {
      const body = Array.from({ length: 6 }, (_, p) => prose(8 + ((s + p) % 9), s * 10 + p)).join("\n\n");
      const section = `## Section ${s}\n\n${body}`;
      sections.push(section);
      size += section.length + 2;
    }
    const text = sections.join("\n\n");
    const started = performance.now();
    const chunks = chunkDocument(doc(text), { maxTokens: 512, overlapTokens: 64 });
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `chunked ${(text.length / 1e6).toFixed(1)} MB into ${chunks.length} chunks in ${seconds.toFixed(2)} s`,
    );
    expect(chunks.every((c) => c.tokenCount <= 512 && c.text.length > 0)).toBe(true);
    expect(chunks.at(-1)?.idx).toBe(chunks.length - 1);

    // One 5 MB block of single-line sentences: the sentence splitter must not go quadratic.
    const block = text.replace(/\n\n|\. /g, ".\n");
    const blockStarted = performance.now();
    const blockChunks = chunkDocument(doc(block), { maxTokens: 512, overlapTokens: 64 });
    const blockSeconds = (performance.now() - blockStarted) / 1000;
    console.log(
      `chunked a ${(block.length / 1e6).toFixed(1)} MB block into ${blockChunks.length} chunks in ${blockSeconds.toFixed(2)} s`,
    );
    expect(blockChunks.every((c) => c.tokenCount <= 512)).toBe(true);
  });
});
