import { Readability } from "@mozilla/readability";
import { parseHTML } from "linkedom";
import { decodeText } from "./decode.ts";
import type { DomElement } from "./dom.ts";
import { UnsupportedDocumentError } from "./errors.ts";
import { createHtmlToMarkdown } from "./html-to-markdown.ts";
import type { ExtractedDocument } from "./types.ts";

interface ParsedPage {
  title: string;
  body: DomElement | null;
}

const NOISE = "script, style, noscript, template, nav, header, footer, aside, form, iframe, svg";

/** Deeper pages are refused, as browsers' parsers stop nesting there too (Blink at 512). */
const MAX_NESTING = 512;
/** Elements that never nest (void) or that the next sibling closes (optional end tag). */
const NOT_NESTING = new Set(
  [
    "area base br col embed hr img input link meta param source track wbr",
    "html head body li dt dd p rt rp optgroup option colgroup caption thead tbody tfoot tr td th",
  ]
    .join(" ")
    .split(" "),
);
const TAG = /<(\/?)([a-zA-Z][\w-]*)[^>]*>/g;

/**
 * How deep the elements that must be closed nest, counted from the tags alone: a page of 50 000
 * nested `<div>`s takes Readability a minute and then overflows the stack, so it is caught before parsing.
 */
function nestingDepth(html: string): number {
  let depth = 0;
  let deepest = 0;
  for (const [tag, closing, name] of html.matchAll(TAG)) {
    if (NOT_NESTING.has((name as string).toLowerCase()) || tag.endsWith("/>")) continue;
    if (closing) depth = Math.max(0, depth - 1);
    else deepest = Math.max(deepest, ++depth);
  }
  return deepest;
}

function parse(html: string): { page: ParsedPage; document: unknown } {
  const { document } = parseHTML(html);
  return { page: document as unknown as ParsedPage, document };
}

/** `<meta charset>` or `http-equiv` content type, read from the ASCII-compatible start of the file. */
function declaredCharset(bytes: Uint8Array): string | null {
  const head = new TextDecoder("latin1").decode(bytes.subarray(0, 4096));
  return /<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)/i.exec(head)?.[1] ?? null;
}

function bodyMarkdown(body: DomElement | null, toMarkdown: (html: string) => string): string {
  if (!body) return "";
  for (const element of Array.from(body.querySelectorAll(NOISE))) element.remove();
  return toMarkdown(body.innerHTML).trim();
}

/**
 * The page's main content (Mozilla Readability, which drops navigation, footers and scripts) as
 * Markdown; the whole body minus obvious page chrome when Readability finds no article.
 */
export function extractHtml(bytes: Uint8Array): ExtractedDocument {
  const html = decodeText(bytes, declaredCharset(bytes));
  if (nestingDepth(html) > MAX_NESTING) {
    throw new UnsupportedDocumentError(
      `This web page nests its elements more than ${MAX_NESTING} deep; Quarry reads pages up to ${MAX_NESTING} levels.`,
    );
  }
  const toMarkdown = createHtmlToMarkdown();
  const { page, document } = parse(html);
  const pageTitle = page.title?.trim() || null;
  const article = new Readability(document as ConstructorParameters<typeof Readability>[0]).parse();
  let text = article?.content ? toMarkdown(article.content).trim() : "";
  if (!text) text = bodyMarkdown(parse(html).page.body, toMarkdown);
  if (!text) throw new UnsupportedDocumentError("This web page contains no text.");
  return { text, pages: [], title: article?.title?.trim() || pageTitle };
}
