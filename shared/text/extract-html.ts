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
  const toMarkdown = createHtmlToMarkdown();
  const { page, document } = parse(html);
  const pageTitle = page.title?.trim() || null;
  const article = new Readability(document as ConstructorParameters<typeof Readability>[0]).parse();
  let text = article?.content ? toMarkdown(article.content).trim() : "";
  if (!text) text = bodyMarkdown(parse(html).page.body, toMarkdown);
  if (!text) throw new UnsupportedDocumentError("This web page contains no text.");
  return { text, pages: [], title: article?.title?.trim() || pageTitle };
}
