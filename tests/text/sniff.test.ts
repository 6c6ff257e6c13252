import { strToU8, zipSync } from "fflate";
import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { UnsupportedDocumentError } from "../../shared/text/errors.ts";
import { sniffDocument } from "../../shared/text/sniff.ts";
import { seededRandom } from "../helpers/seeded-random.ts";
import { buildDocx, buildPdf } from "./builders.ts";

const SUPPORTED = "Quarry can index PDF, DOCX, HTML, Markdown, text, CSV and JSON.";

// A complete 1×1 PNG: signature, IHDR, IDAT, IEND.
const PNG = Uint8Array.from(
  Buffer.from(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000" +
      "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082",
    "hex",
  ),
);

async function refusal(bytes: Uint8Array): Promise<UnsupportedDocumentError> {
  const error = await sniffDocument(bytes).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UnsupportedDocumentError);
  return error as UnsupportedDocumentError;
}

describe("sniffDocument", () => {
  it("recognises a PDF and a DOCX by their bytes", async () => {
    expect(await sniffDocument(await buildPdf([["Hello"]]))).toEqual({
      kind: "pdf",
      mime: "application/pdf",
    });
    expect(await sniffDocument(buildDocx([{ paragraph: "Hello" }]))).toEqual({
      kind: "docx",
      mime: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    });
  });

  it("refuses an empty file", async () => {
    const error = await refusal(new Uint8Array(0));
    expect(error.message).toBe("The file is empty.");
    expect(error.code).toBe("unsupported_media_type");
    expect((await refusal(strToU8("  \n\t\n"))).message).toMatch(/no text/);
  });

  it("refuses a PNG whatever it is called, saying what it looks like", async () => {
    const error = await refusal(PNG);
    expect(error.message).toBe(`This file looks like a PNG image; ${SUPPORTED}`);
    expect(error.details).toEqual({ detected_mime: "image/png" });
  });

  it("refuses a ZIP archive that is not a Word document", async () => {
    const zip = zipSync({ "notes/readme.txt": strToU8("not a document"), "data.bin": new Uint8Array(64) });
    expect((await refusal(zip)).message).toBe(
      `This file looks like a ZIP archive that is not a Word document; ${SUPPORTED}`,
    );
  });

  it("refuses executables and NUL-heavy binary data", async () => {
    const elf = new Uint8Array(256);
    elf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
    expect((await refusal(elf)).message).toMatch(/^This file looks like a program \(executable\)/);
    const blob = Uint8Array.from({ length: 4096 }, (_, i) => (i % 7 === 0 ? 0 : (i * 31) % 251));
    expect((await refusal(blob)).message).toBe(`This file looks like binary data, not text; ${SUPPORTED}`);
  });

  it("refuses bytes without structure (compressed, encrypted, random) but reads text with a stray control", async () => {
    const random = seededRandom(7);
    for (const size of [2048, 64 * 1024]) {
      for (let sample = 0; sample < 20; sample++) {
        const bytes = Uint8Array.from({ length: size }, () => Math.floor(random() * 256));
        if (bytes[0] === 0xff) bytes[0] = 0x41; // keep MPEG frame-sync look-alikes out of the way
        expect((await refusal(bytes)).message, `${size} random bytes`).toMatch(
          /^This file looks like (binary data, not text|an? )/,
        );
      }
    }
    const page = "The quarterly figures are in the table below, and the notes follow it.\n".repeat(3);
    const text = `Report\n${page}\f\n${page}\x1b[1mBold\x1b[0m from a log.\n${page}End.\x1a`;
    expect((await sniffDocument(strToU8(text))).kind).toBe("text");
  });

  it("refuses RTF, whose signature is text, but reads text that matches a short binary signature", async () => {
    const rtf = strToU8("{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}} Hello \\b world\\b0.}");
    expect((await refusal(rtf)).message).toMatch(/^This file looks like an RTF document/);
  });

  it("classifies text by content: JSON, HTML, CSV, Markdown, plain text", async () => {
    const kind = async (text: string) => (await sniffDocument(strToU8(text))).kind;
    expect(await kind('  {"name": "Quarry", "tags": ["a", "b"]}\n')).toBe("json");
    expect(await kind("[1, 2, 3]")).toBe("json");
    expect(await kind("{not json at all}")).toBe("text");
    expect(await kind("<!DOCTYPE html>\n<html><body><p>Hi</p></body></html>")).toBe("html");
    expect(
      await kind('<?xml version="1.0"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><body>x</body></html>'),
    ).toBe("html");
    expect(await kind("name,city,age\nAda,London,36\nAlan,Wilmslow,41\n")).toBe("csv");
    expect(await kind('id;label\n1;"semi; colon"\n2;plain\n')).toBe("csv");
    expect(await kind("a\tb\tc\n1\t2\t3\n")).toBe("csv");
    expect(await kind("# Title\n\nSome *text* here.\n")).toBe("markdown");
    expect(await kind("Intro\n\n- first\n- second\n")).toBe("markdown");
    expect(await kind("See [the docs](https://example.com) for more.")).toBe("markdown");
    expect(await kind("Just a note.\nIt has two lines, and a comma.\nAnd a third one here.")).toBe("text");
  });

  it("sniffs UTF-16 and legacy-encoded text as text", async () => {
    const html = "<!doctype html><html><body><p>Grüße</p></body></html>";
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(html, "utf16le")]);
    expect((await sniffDocument(utf16)).kind).toBe("html");
    const russian = iconv.encode("Съешь же ещё этих мягких французских булок, да выпей чаю.", "windows-1251");
    expect((await sniffDocument(russian)).kind).toBe("text");
  });
});
