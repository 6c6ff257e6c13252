import TurndownService from "turndown";
import type { DomElement, DomNode } from "./dom.ts";

function cellText(content: string): string {
  return content.replace(/\s+/g, " ").replace(/\|/g, "\\|").trim();
}

function cellCount(row: DomElement): number {
  let count = 0;
  for (const child of Array.from(row.childNodes)) {
    if (child.nodeName === "TD" || child.nodeName === "TH") count++;
  }
  return count;
}

function isFirstRow(row: DomElement): boolean {
  let table: DomNode | null = row.parentNode;
  while (table && table.nodeName !== "TABLE") table = table.parentNode;
  return !!table && (table as DomElement).querySelector("tr") === row;
}

/**
 * HTML → Markdown for indexing: ATX headings, "-" lists, fenced code, pipe tables (turndown has none
 * built in), images reduced to their alt text and links to their text (URLs only cost tokens), and no
 * Markdown escaping (backslashes would end up in chunks and snippets).
 */
export function createHtmlToMarkdown(): (html: string) => string {
  const service = new TurndownService({
    headingStyle: "atx",
    bulletListMarker: "-",
    codeBlockStyle: "fenced",
    hr: "---",
  });
  service.escape = (text) => text;
  service.remove(["script", "style", "noscript", "template", "iframe", "object", "embed"]);
  service.addRule("image", {
    filter: "img",
    replacement: (_content, node) => {
      const alt = (node as DomElement).getAttribute("alt")?.trim();
      return alt ? alt : "";
    },
  });
  service.addRule("link", { filter: "a", replacement: (content) => content });
  service.addRule("tableCell", {
    filter: ["th", "td"],
    replacement: (content) => `| ${cellText(content)} `,
  });
  service.addRule("tableRow", {
    filter: "tr",
    replacement: (content, node) => {
      const row = node as DomElement;
      const line = `${content}|\n`;
      if (!isFirstRow(row)) return line;
      return `${line}${"| --- ".repeat(Math.max(cellCount(row), 1))}|\n`;
    },
  });
  service.addRule("tableSection", { filter: ["thead", "tbody", "tfoot"], replacement: (content) => content });
  service.addRule("table", { filter: "table", replacement: (content) => `\n\n${content.trim()}\n\n` });
  service.addRule("caption", { filter: "caption", replacement: (content) => `${cellText(content)}\n\n` });
  return (html) => service.turndown(html);
}
