import { inflateRawSync } from "node:zlib";
import { UnsupportedDocumentError } from "./errors.ts";

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

export interface ZipLimits {
  maxUnpackedBytes: number;
  maxEntries: number;
}

const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_MIN_SIZE = 22;
const MAX_COMMENT = 0xffff;
const STORED = 0;
const DEFLATED = 8;
// Deflate tops out near 1032:1; real DOCX parts (XML, media) stay far below 200:1.
const MAX_RATIO = 200;
const RATIO_FLOOR_BYTES = 1024 * 1024;

const damaged = (why: string) =>
  new UnsupportedDocumentError(`This file is a damaged ZIP archive (${why}); it cannot be read.`);

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
  return `${Math.ceil(bytes / 1024)} KB`;
}

function findEndOfCentralDirectory(view: DataView): number {
  const lowest = Math.max(0, view.byteLength - EOCD_MIN_SIZE - MAX_COMMENT);
  for (let at = view.byteLength - EOCD_MIN_SIZE; at >= lowest; at--) {
    if (view.getUint32(at, true) === EOCD_SIGNATURE) return at;
  }
  throw damaged("no central directory");
}

/** Reads a ZIP archive's central directory without inflating anything. */
export function listZipEntries(bytes: Uint8Array): ZipEntry[] {
  if (bytes.byteLength < EOCD_MIN_SIZE) throw damaged("too short");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const eocd = findEndOfCentralDirectory(view);
  const count = view.getUint16(eocd + 10, true);
  const directorySize = view.getUint32(eocd + 12, true);
  const directoryOffset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || directorySize === 0xffffffff || directoryOffset === 0xffffffff) {
    throw new UnsupportedDocumentError(
      "This file is a ZIP64 archive, which Quarry does not accept as a document.",
    );
  }
  if (directoryOffset + directorySize > eocd) throw damaged("central directory out of bounds");
  const entries: ZipEntry[] = [];
  const decoder = new TextDecoder("utf-8");
  let at = directoryOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > eocd || view.getUint32(at, true) !== CENTRAL_SIGNATURE)
      throw damaged("bad central directory");
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    const compressedSize = view.getUint32(at + 20, true);
    const uncompressedSize = view.getUint32(at + 24, true);
    const localHeaderOffset = view.getUint32(at + 42, true);
    if (
      compressedSize === 0xffffffff ||
      uncompressedSize === 0xffffffff ||
      localHeaderOffset === 0xffffffff
    ) {
      throw new UnsupportedDocumentError(
        "This file is a ZIP64 archive, which Quarry does not accept as a document.",
      );
    }
    entries.push({
      name: decoder.decode(bytes.subarray(at + 46, at + 46 + nameLength)),
      method: view.getUint16(at + 10, true),
      flags: view.getUint16(at + 8, true),
      compressedSize,
      uncompressedSize,
      localHeaderOffset,
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

function entryData(bytes: Uint8Array, view: DataView, entry: ZipEntry): Uint8Array {
  const at = entry.localHeaderOffset;
  if (at + 30 > bytes.byteLength || view.getUint32(at, true) !== LOCAL_SIGNATURE) {
    throw damaged(`bad local header for ${entry.name}`);
  }
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  const end = start + entry.compressedSize;
  if (end > bytes.byteLength) throw damaged(`${entry.name} is truncated`);
  return bytes.subarray(start, end);
}

/**
 * Refuses archives that would unpack to too much (zip bombs) from the central directory alone, then
 * inflates each entry with its declared size as a hard cap, so an archive that lies about its sizes
 * is caught before a parser trusts it. Returns the entries with their verified contents.
 */
export function inspectZip(bytes: Uint8Array, limits: ZipLimits): Map<string, Uint8Array> {
  const entries = listZipEntries(bytes);
  if (entries.length > limits.maxEntries) {
    throw new UnsupportedDocumentError(
      `This archive holds ${entries.length} files; at most ${limits.maxEntries} are accepted.`,
      { entries: entries.length },
    );
  }
  let total = 0;
  for (const entry of entries) {
    if (entry.flags & 1) {
      throw new UnsupportedDocumentError(
        "This document is encrypted; remove the password and upload it again.",
      );
    }
    if (entry.method !== STORED && entry.method !== DEFLATED) {
      throw damaged(`${entry.name} uses an unsupported compression method`);
    }
    const ratio = entry.uncompressedSize / Math.max(entry.compressedSize, 1);
    if (entry.uncompressedSize > RATIO_FLOOR_BYTES && ratio > MAX_RATIO) {
      throw new UnsupportedDocumentError(
        `This archive looks like a zip bomb: ${entry.name} would unpack from ${formatBytes(entry.compressedSize)} to ${formatBytes(entry.uncompressedSize)}.`,
        { entry: entry.name, ratio: Math.round(ratio) },
      );
    }
    total += entry.uncompressedSize;
  }
  if (total > limits.maxUnpackedBytes) {
    throw new UnsupportedDocumentError(
      `This archive would unpack to ${formatBytes(total)}; the limit is ${formatBytes(limits.maxUnpackedBytes)}.`,
      { unpacked_bytes: total },
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const contents = new Map<string, Uint8Array>();
  for (const entry of entries) {
    const data = entryData(bytes, view, entry);
    contents.set(entry.name, inflateExactly(data, entry));
  }
  return contents;
}

function inflateExactly(data: Uint8Array, entry: ZipEntry): Uint8Array {
  if (entry.method === STORED) {
    if (data.byteLength !== entry.uncompressedSize) throw damaged(`${entry.name} has a wrong size`);
    return data;
  }
  let out: Buffer;
  try {
    out = inflateRawSync(data, { maxOutputLength: Math.max(entry.uncompressedSize, 1) });
  } catch {
    throw damaged(`${entry.name} does not unpack to its declared size`);
  }
  if (out.byteLength !== entry.uncompressedSize)
    throw damaged(`${entry.name} does not unpack to its declared size`);
  return out;
}
