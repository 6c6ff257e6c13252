import * as chardet from "chardet";
import iconv from "iconv-lite";

const CHARDET_SAMPLE_BYTES = 64 * 1024;

function hasPrefix(bytes: Uint8Array, prefix: number[]): boolean {
  return prefix.every((byte, i) => bytes[i] === byte);
}

function bomEncoding(bytes: Uint8Array): { encoding: string; length: number } | null {
  if (hasPrefix(bytes, [0xef, 0xbb, 0xbf])) return { encoding: "utf-8", length: 3 };
  if (hasPrefix(bytes, [0xff, 0xfe])) return { encoding: "utf-16le", length: 2 };
  if (hasPrefix(bytes, [0xfe, 0xff])) return { encoding: "utf-16be", length: 2 };
  return null;
}

function isValidUtf8(bytes: Uint8Array): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** BOM-less UTF-16 of mostly Latin text: every other byte is zero. */
function utf16ByZeroBytes(sample: Uint8Array): "utf-16le" | "utf-16be" | null {
  if (sample.length < 4) return null;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < sample.length; i++) {
    if (sample[i] !== 0) continue;
    if (i % 2 === 0) evenZeros++;
    else oddZeros++;
  }
  const half = sample.length / 2;
  if (oddZeros > half * 0.4 && evenZeros < half * 0.05) return "utf-16le";
  if (evenZeros > half * 0.4 && oddZeros < half * 0.05) return "utf-16be";
  return null;
}

/** UTF-16 by its BOM or, without one, by the zero bytes of mostly Latin text. */
export function isUtf16(bytes: Uint8Array): boolean {
  const bom = bomEncoding(bytes)?.encoding;
  if (bom) return bom.startsWith("utf-16");
  return utf16ByZeroBytes(bytes.subarray(0, CHARDET_SAMPLE_BYTES)) !== null;
}

function normaliseCharsetName(name: string): string | null {
  const lower = name.trim().toLowerCase();
  // Windows-1252 is what "latin-1" files from Windows really are; it only differs in 0x80–0x9F.
  if (lower === "iso-8859-1" || lower === "latin1" || lower === "us-ascii" || lower === "ascii") {
    return "windows-1252";
  }
  return iconv.encodingExists(lower) ? lower : null;
}

/**
 * The encoding `decodeText` will use: a BOM first, then BOM-less UTF-16 (zero-byte pattern), then strict
 * UTF-8 (valid UTF-8 wins over any guess), then a charset the container declared (HTML `<meta charset>`),
 * then chardet's guess; windows-1252 when all fail.
 */
export function detectEncoding(bytes: Uint8Array, declared?: string | null): string {
  const bom = bomEncoding(bytes);
  if (bom) return bom.encoding;
  const sample = bytes.subarray(0, CHARDET_SAMPLE_BYTES);
  // Before the UTF-8 check: BOM-less UTF-16 of ASCII text is valid UTF-8 full of NULs.
  const utf16 = utf16ByZeroBytes(sample);
  if (utf16) return utf16;
  if (isValidUtf8(bytes)) return "utf-8";
  const fromDeclared = declared ? normaliseCharsetName(declared) : null;
  if (fromDeclared && fromDeclared !== "utf-8" && fromDeclared !== "utf8") return fromDeclared;
  const guess = chardet.detect(sample);
  return (guess && normaliseCharsetName(guess)) ?? "windows-1252";
}

/** Bytes to a JavaScript string, without a BOM; see `detectEncoding` for the order of evidence. */
export function decodeText(bytes: Uint8Array, declared?: string | null): string {
  const encoding = detectEncoding(bytes, declared);
  const bom = bomEncoding(bytes);
  const body = bom ? bytes.subarray(bom.length) : bytes;
  if (encoding === "utf-8") return new TextDecoder("utf-8").decode(body);
  return iconv.decode(Buffer.from(body.buffer, body.byteOffset, body.byteLength), encoding, {
    stripBOM: true,
  });
}
