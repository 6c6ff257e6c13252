import { describe, expect, it } from "vitest";
import { normalizeDocument, normalizeText } from "../../shared/text/normalize.ts";
import type { ExtractedDocument } from "../../shared/text/types.ts";

function paged(pageTexts: string[]): ExtractedDocument {
  let text = "";
  const pages = pageTexts.map((pageText, i) => {
    if (text) text += "\n\n";
    const start = text.length;
    text += pageText;
    return { page: i + 1, start, end: text.length };
  });
  return { text, pages, title: null };
}

describe("normalizeText", () => {
  it("composes to NFC", () => {
    const decomposed = "Cafe\u0301 an\u0303o";
    const out = normalizeText(decomposed);
    expect(out).toBe("Café año");
    expect(out).toBe(out.normalize("NFC"));
    expect(out.length).toBe(8);
  });

  it("joins words broken across lines only when the next line starts lowercase", () => {
    expect(normalizeText("the infor-\nmation age")).toBe("the information age");
    expect(normalizeText("infor-   \n   mation")).toBe("information");
    expect(normalizeText("North-\nWest passage")).toBe("North-\nWest passage");
    expect(normalizeText("pages 10-\n12")).toBe("pages 10-\n12");
    expect(normalizeText("Ünter-\nöffnung")).toBe("Ünteröffnung");
    // A letter outside the Basic Multilingual Plane is two UTF-16 code units.
    expect(normalizeText("\u{1D400}-\nb")).toBe("\u{1D400}b");
    expect(normalizeText("- \n-\nb")).toBe("-\n-\nb");
  });

  it("unifies line endings, strips control characters, collapses blanks and blank lines", () => {
    const messy =
      "Title\r\n\r\n\r\n\r\nOne\ttwo   three \u0000four\u0007\rnext\u00a0line\u200b here\n\n\n\n  indented  text  \n";
    expect(normalizeText(messy)).toBe("Title\n\nOne two three four\nnext line here\n\n  indented text");
    expect(normalizeText("\t\tcode\tx \t y\n \t z")).toBe("\t\tcode x y\n \t z");
  });

  it("is idempotent", () => {
    const samples = [
      "a-\nb-\nc d",
      "x  \n\n\n\ny",
      "Cafe\u0301\r\n\tindent",
      "soft\u00adhyphen and-\n  more",
    ];
    for (const sample of samples) {
      const once = normalizeText(sample);
      expect(normalizeText(once)).toBe(once);
    }
  });
});

describe("normalizeDocument", () => {
  it("drops header and footer lines repeated on most pages and recomputes page offsets", () => {
    const doc = paged([
      "ACME Corp — Internal\nGranite is hard.\nIt is grey.\nPage 1 of 4",
      "ACME Corp — Internal\nMarble is soft.\nPage 2 of 4",
      "ACME Corp — Internal\nLimestone is porous.\nPage 3 of 4",
      "Basalt is dark.\nPage 4 of 4",
    ]);
    const out = normalizeDocument(doc);
    expect(out.text).not.toContain("ACME Corp");
    expect(out.text).not.toMatch(/Page \d of 4/);
    const pageText = out.pages.map((p) => out.text.slice(p.start, p.end));
    expect(pageText).toEqual([
      "Granite is hard.\nIt is grey.",
      "Marble is soft.",
      "Limestone is porous.",
      "Basalt is dark.",
    ]);
    expect(out.pages.map((p) => p.page)).toEqual([1, 2, 3, 4]);
  });

  it("leaves short documents and unpaged text alone apart from normalising", () => {
    const two = paged(["Header\nbody one", "Header\nbody two"]);
    expect(normalizeDocument(two).text).toBe(two.text);
    expect(normalizeDocument({ text: "a  b\r\nc", pages: [], title: "t" })).toEqual({
      text: "a b\nc",
      pages: [],
      title: "t",
    });
  });
});
