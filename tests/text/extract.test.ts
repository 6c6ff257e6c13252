import { randomBytes } from "node:crypto";
import { strToU8, unzipSync, zipSync } from "fflate";
import { beforeAll, describe, expect, it } from "vitest";
import { UnsupportedDocumentError } from "../../shared/text/errors.ts";
import { extractDocument } from "../../shared/text/extract.ts";
import { sniffDocument } from "../../shared/text/sniff.ts";
import type { ExtractLimits } from "../../shared/text/types.ts";
import { buildDocx, buildDocxBomb, buildPdf, patchDeclaredSize } from "./builders.ts";

const LIMITS: ExtractLimits = { maxUnpackedBytes: 50 * 1024 * 1024, maxEntries: 100 };
const MB = 1024 * 1024;

async function refusal(promise: Promise<unknown>): Promise<UnsupportedDocumentError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UnsupportedDocumentError);
  return error as UnsupportedDocumentError;
}

describe("PDF", () => {
  it("keeps each page's text at its page offsets and reads the title", async () => {
    const pdf = await buildPdf(
      [
        ["Granite is quarried in the north.", "It is hard and grey."],
        ["Marble comes from the southern pits.", "Sculptors love it."],
        ["Limestone lines the river valley.", "It weathers quickly."],
      ],
      "Stones of the Region",
    );
    const doc = await extractDocument(pdf, (await sniffDocument(pdf)).kind, LIMITS);
    expect(doc.title).toBe("Stones of the Region");
    expect(doc.pages.map((p) => p.page)).toEqual([1, 2, 3]);
    const pageText = doc.pages.map((p) => doc.text.slice(p.start, p.end));
    expect(pageText[0]).toBe("Granite is quarried in the north.\nIt is hard and grey.");
    expect(pageText[1]).toContain("Marble comes from the southern pits.");
    expect(pageText[2]).toContain("Limestone lines the river valley.");
    expect(pageText[1]).not.toContain("Granite");
  });

  it("refuses a PDF without a text layer, a broken PDF, and one over the page limit", async () => {
    const blank = await buildPdf([[], []]);
    expect((await refusal(extractDocument(blank, "pdf", LIMITS))).message).toMatch(
      /no text layer \(scanned PDF\?\)/,
    );
    const broken = strToU8("%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage without xref\n");
    expect((await sniffDocument(broken)).kind).toBe("pdf");
    expect((await refusal(extractDocument(broken, "pdf", LIMITS))).message).toMatch(/^This PDF is damaged/);
    const three = await buildPdf([["one"], ["two"], ["three"]]);
    expect((await refusal(extractDocument(three, "pdf", { ...LIMITS, maxPages: 2 }))).message).toBe(
      "This PDF has 3 pages; at most 2 are accepted.",
    );
  });
});

describe("DOCX", () => {
  it("converts headings, paragraphs and tables to Markdown", async () => {
    const docx = buildDocx([
      { heading: "Quarterly Report" },
      { paragraph: "Revenue grew in every region this quarter." },
      { heading: "Figures by region", level: 2 },
      {
        table: [
          ["Region", "Revenue"],
          ["North", "1,200"],
          ["South", "950"],
        ],
      },
      { paragraph: "Numbers are in thousands of euros." },
    ]);
    const doc = await extractDocument(docx, "docx", LIMITS);
    expect(doc.title).toBe("Quarterly Report");
    expect(doc.pages).toEqual([]);
    expect(doc.text).toContain("# Quarterly Report");
    expect(doc.text).toContain("## Figures by region");
    expect(doc.text).toContain("Revenue grew in every region this quarter.");
    expect(doc.text).toContain("| Region | Revenue |\n| --- | --- |\n| North | 1,200 |\n| South | 950 |");
  });

  describe("zip bombs", () => {
    let bomb: Uint8Array;
    beforeAll(() => {
      bomb = buildDocxBomb(200 * MB);
    });

    it("refuses a zip bomb disguised as a DOCX from its directory alone, before inflating", async () => {
      expect(bomb.byteLength).toBeLessThan(MB);
      expect((await sniffDocument(bomb)).kind).toBe("docx");
      const error = await refusal(extractDocument(bomb, "docx", LIMITS));
      expect(error.message).toMatch(
        /^This archive looks like a zip bomb: word\/document\.xml would unpack from \d+ KB to 200\.0 MB\.$/,
      );
    });

    it("refuses by total size even when no single entry has an absurd ratio", async () => {
      const parts: Record<string, Uint8Array> = {};
      for (let i = 0; i < 5; i++) parts[`word/media/image${i}.png`] = randomBytes(MB);
      const docx = zipSync({ ...parts, ...unzipSync(buildDocx([{ paragraph: "x" }])) });
      const error = await refusal(
        extractDocument(docx, "docx", { maxUnpackedBytes: 4 * MB, maxEntries: 100 }),
      );
      expect(error.message).toBe("This archive would unpack to 5.0 MB; the limit is 4.0 MB.");
    });

    it("refuses an archive with too many entries", async () => {
      const parts = Object.fromEntries(
        Array.from({ length: 30 }, (_, i) => [`word/part${i}.xml`, strToU8("<x/>")]),
      );
      const docx = zipSync({ ...parts, ...unzipSync(buildDocx([{ paragraph: "x" }])) });
      const error = await refusal(extractDocument(docx, "docx", { maxUnpackedBytes: MB, maxEntries: 20 }));
      expect(error.message).toBe("This archive holds 33 files; at most 20 are accepted.");
    });

    it("refuses an archive whose directory lies about an entry's size", async () => {
      const docx = buildDocx([{ paragraph: "Some text that inflates to more than ten bytes, honestly." }]);
      const lying = patchDeclaredSize(docx, "word/document.xml", 10);
      const error = await refusal(extractDocument(lying, "docx", LIMITS));
      expect(error.message).toMatch(/word\/document\.xml does not unpack to its declared size/);
    });
  });
});

describe("HTML", () => {
  const page = `<!doctype html><html><head><title>Stone Weekly | Quarry history</title>
<script>window.tracking = "SECRET-TRACKER";</script><style>.nav { color: red }</style></head>
<body>
<nav><a href="/">Home</a> <a href="/about">About us</a> <a href="/shop">Shop</a></nav>
<header><div class="banner">Subscribe to our newsletter today</div></header>
<main><article>
<h1>A short history of the town quarry</h1>
<p>The quarry opened in 1852, when the railway first reached the valley and builders needed cheap stone for the new station and the mills along the river.</p>
<p>For sixty years the pit supplied granite setts for the city streets; at its peak more than four hundred men worked the benches, most of them living in terraces built by the company.</p>
<p>After the last blast in 1961 the pit flooded, and today it is a nature reserve where divers train in the clear, cold water of the old workings.</p>
<table><tr><th>Year</th><th>Workers</th></tr><tr><td>1900</td><td>410</td></tr></table>
</article></main>
<footer>Copyright 2024 Stone Weekly Ltd. All rights reserved. <a href="/privacy">Privacy policy</a></footer>
<script>console.log("analytics noise")</script>
</body></html>`;

  it("keeps the article and drops navigation, footer and scripts", async () => {
    const bytes = strToU8(page);
    expect((await sniffDocument(bytes)).kind).toBe("html");
    const doc = await extractDocument(bytes, "html", LIMITS);
    expect(doc.text).toContain("The quarry opened in 1852");
    expect(doc.text).toContain("divers train in the clear, cold water");
    expect(doc.text).toContain("A short history of the town quarry");
    expect(doc.text).toContain("| Year | Workers |");
    for (const noise of [
      "About us",
      "Subscribe",
      "Copyright",
      "SECRET-TRACKER",
      "analytics noise",
      "color: red",
    ]) {
      expect(doc.text).not.toContain(noise);
    }
    expect(doc.title).toBeTruthy();
  });

  it("falls back to the body text when there is no article", async () => {
    const bytes = strToU8(
      "<html><head><title>Tiny</title></head><body><nav>Menu</nav><p>Only <b>one</b> line here.</p><script>x()</script></body></html>",
    );
    const doc = await extractDocument(bytes, "html", LIMITS);
    expect(doc.text).toContain("Only **one** line here.");
    expect(doc.text).not.toContain("x()");
    expect(doc.title).toBe("Tiny");
  });
});

describe("CSV and JSON", () => {
  it("renders CSV as Markdown tables that repeat the header for each group of rows", async () => {
    const rows = Array.from({ length: 60 }, (_, i) => `${i + 1},Site ${i + 1},"granite, grade ${i % 3}"`);
    const csv = strToU8(`id,name,notes\n${rows.join("\n")}\n`);
    expect((await sniffDocument(csv)).kind).toBe("csv");
    const doc = await extractDocument(csv, "csv", LIMITS);
    const groups = doc.text.split("\n\n");
    expect(groups.length).toBeGreaterThan(2);
    for (const group of groups)
      expect(group.startsWith("| id | name | notes |\n| --- | --- | --- |\n")).toBe(true);
    expect(doc.text).toContain("| 7 | Site 7 | granite, grade 0 |");
    expect(doc.text.match(/^\| \d+ \|/gm)).toHaveLength(60);
  });

  it("flattens JSON to path: value lines, one paragraph per top-level item", async () => {
    const json = strToU8(
      JSON.stringify({
        project: { name: "Quarry", tags: ["rag", "search"], "odd key": true },
        users: [{ name: "Ada", roles: [] }],
        version: 3,
      }),
    );
    expect((await sniffDocument(json)).kind).toBe("json");
    const doc = await extractDocument(json, "json", LIMITS);
    expect(doc.text).toBe(
      [
        'project.name: Quarry\nproject.tags[0]: rag\nproject.tags[1]: search\nproject["odd key"]: true',
        "users[0].name: Ada\nusers[0].roles: []",
        "version: 3",
      ].join("\n\n"),
    );
  });

  it("refuses JSON nested more than 100 levels deep, at once and in words", async () => {
    const nested = (depth: number) => strToU8(`${"[".repeat(depth)}1${"]".repeat(depth)}`);
    expect((await extractDocument(nested(100), "json", LIMITS)).text).toBe(`${"[0]".repeat(100)}: 1`);
    // 200 000 levels: JSON.parse copes, flattening them overflowed the stack (retried as if transient).
    for (const depth of [101, 200_000]) {
      expect((await refusal(extractDocument(nested(depth), "json", LIMITS))).message).toBe(
        "This JSON file is nested more than 100 levels deep; Quarry indexes JSON up to 100 levels.",
      );
    }
  });

  it("refuses a web page nesting elements more than 512 deep, before parsing it", async () => {
    const page = (body: string) => strToU8(`<html><head><title>t</title></head><body>${body}</body></html>`);
    const divs = (depth: number) => page(`${"<div>".repeat(depth)}deep text${"</div>".repeat(depth)}`);
    expect((await extractDocument(divs(100), "html", LIMITS)).text).toBe("deep text");
    // 50 000 levels took Readability ~40 s and then overflowed the stack; unclosed <b>s nest as deep.
    for (const deep of [divs(513), divs(50_000), page(`${"<b>".repeat(50_000)}bold`)]) {
      expect((await refusal(extractDocument(deep, "html", LIMITS))).message).toMatch(
        /^This web page nests its elements more than 512 deep/,
      );
    }
    // Elements the next one closes (p, li, td…) do not nest: old pages that never close them are read.
    const unclosed = page(`<ul>${"<li>item ".repeat(2000)}</ul>${"<p>paragraph ".repeat(2000)}`);
    expect((await extractDocument(unclosed, "html", LIMITS)).text).toContain("paragraph");
  });

  it("returns Markdown and text as decoded, with a Markdown title", async () => {
    const doc = await extractDocument(strToU8("# Field guide\n\nBody text."), "markdown", LIMITS);
    expect(doc).toEqual({ text: "# Field guide\n\nBody text.", pages: [], title: "Field guide" });
  });
});
