import { UnsupportedDocumentError } from "./errors.ts";
import type { ExtractedDocument } from "./types.ts";

const PLAIN_KEY = /^[A-Za-z_$][\w$-]*$/;

function childPath(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  const part = PLAIN_KEY.test(key) ? key : `[${JSON.stringify(key)}]`;
  if (!path) return part;
  return part.startsWith("[") ? `${path}${part}` : `${path}.${part}`;
}

function scalar(value: unknown): string {
  if (typeof value === "string") return value.replace(/\s*\n\s*/g, " ");
  return JSON.stringify(value);
}

/** Flattening recurses once per level, and each line repeats its whole path: deeper JSON is refused. */
const MAX_DEPTH = 100;

function flatten(value: unknown, path: string, out: string[], depth: number): void {
  if (depth > MAX_DEPTH) {
    throw new UnsupportedDocumentError(
      `This JSON file is nested more than ${MAX_DEPTH} levels deep; Quarry indexes JSON up to ${MAX_DEPTH} levels.`,
    );
  }
  if (Array.isArray(value)) {
    if (value.length === 0) out.push(`${path || "$"}: []`);
    value.forEach((item, i) => {
      flatten(item, childPath(path, i), out, depth + 1);
    });
    return;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length === 0) out.push(`${path || "$"}: {}`);
    for (const [key, item] of entries) flatten(item, childPath(path, key), out, depth + 1);
    return;
  }
  out.push(`${path || "$"}: ${scalar(value)}`);
}

/**
 * JSON → one "path: value" line per leaf (`orders[2].customer.name: Ada`), each top-level item's
 * lines in their own paragraph. Chosen over pretty-printing: a line keeps its full path wherever a
 * chunk boundary falls, and the text has no braces to spend tokens on.
 */
export function extractJson(text: string): ExtractedDocument {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new UnsupportedDocumentError(`This JSON file is not valid JSON (${reason}).`);
  }
  const items: [string, unknown][] = Array.isArray(value)
    ? value.map((item, i) => [childPath("", i), item])
    : value !== null && typeof value === "object"
      ? Object.entries(value).map(([key, item]) => [childPath("", key), item])
      : [["", value]];
  const paragraphs = items.map(([path, item]) => {
    const lines: string[] = [];
    flatten(item, path, lines, 1);
    return lines.join("\n");
  });
  const flat = paragraphs.length > 0 ? paragraphs.join("\n\n") : Array.isArray(value) ? "$: []" : "$: {}";
  return { text: flat, pages: [], title: null };
}
