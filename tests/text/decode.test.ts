import iconv from "iconv-lite";
import { describe, expect, it } from "vitest";
import { decodeText, detectEncoding } from "../../shared/text/decode.ts";
import { extractDocument } from "../../shared/text/extract.ts";
import { sniffDocument } from "../../shared/text/sniff.ts";

const RUSSIAN =
  "Съешь же ещё этих мягких французских булок, да выпей чаю. Широкая электрификация южных губерний даст мощный толчок подъёму сельского хозяйства.";
const FRENCH_GERMAN =
  "L'été dernier, à Noël, nous sommes allés à la fête du garçon près de la forêt. Die Größe der Übungsräume für Mädchen ist schön, sagte der Bürgermeister.";

const utf16le = (text: string) => Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
const utf16be = (text: string) => Buffer.concat([Buffer.from([0xfe, 0xff]), iconv.encode(text, "utf-16be")]);
const utf8bom = (text: string) => Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, "utf8")]);

describe("decodeText", () => {
  it("decodes Russian text identically from UTF-8, UTF-16 with a BOM and windows-1251", () => {
    const encodings = {
      "utf-8": Buffer.from(RUSSIAN, "utf8"),
      "utf-8 bom": utf8bom(RUSSIAN),
      "utf-16le": utf16le(RUSSIAN),
      "utf-16be": utf16be(RUSSIAN),
      "windows-1251": iconv.encode(RUSSIAN, "windows-1251"),
    };
    for (const [name, bytes] of Object.entries(encodings)) {
      expect(decodeText(bytes), name).toBe(RUSSIAN);
    }
    expect(detectEncoding(encodings["windows-1251"])).toBe("windows-1251");
  });

  it("decodes French and German text identically from UTF-8, UTF-16LE with a BOM and latin-1", () => {
    const latin1 = iconv.encode(FRENCH_GERMAN, "latin1");
    expect(decodeText(Buffer.from(FRENCH_GERMAN, "utf8"))).toBe(FRENCH_GERMAN);
    expect(decodeText(utf16le(FRENCH_GERMAN))).toBe(FRENCH_GERMAN);
    expect(decodeText(latin1)).toBe(FRENCH_GERMAN);
    expect(decodeText(iconv.encode(FRENCH_GERMAN, "windows-1252"))).toBe(FRENCH_GERMAN);
    expect(detectEncoding(latin1)).toBe("windows-1252");
  });

  it("lets valid UTF-8 win and reads BOM-less UTF-16 of Latin text", () => {
    // "Ã©" as UTF-8 bytes is also plausible windows-1252; strict UTF-8 decides.
    expect(decodeText(Buffer.from("cafÃ© crème", "utf8"))).toBe("cafÃ© crème");
    expect(decodeText(Buffer.from("Plain ASCII text, nothing else.", "utf16le"))).toBe(
      "Plain ASCII text, nothing else.",
    );
  });

  it("extracts a windows-1251 text file to the same text as its UTF-8 twin", async () => {
    const limits = { maxUnpackedBytes: 1 << 20, maxEntries: 10 };
    const legacy = iconv.encode(RUSSIAN, "windows-1251");
    const sniffed = await sniffDocument(legacy);
    const fromLegacy = await extractDocument(legacy, sniffed.kind, limits);
    const fromUtf8 = await extractDocument(Buffer.from(RUSSIAN, "utf8"), sniffed.kind, limits);
    expect(fromLegacy.text).toBe(RUSSIAN);
    expect(fromLegacy).toEqual(fromUtf8);
  });

  it("uses the charset an HTML page declares when the bytes are not UTF-8", async () => {
    const html = `<html><head><meta charset="windows-1251"><title>Тест</title></head><body><article><p>${RUSSIAN}</p></article></body></html>`;
    const doc = await extractDocument(iconv.encode(html, "windows-1251"), "html", {
      maxUnpackedBytes: 1,
      maxEntries: 1,
    });
    expect(doc.text).toContain(RUSSIAN);
  });
});
