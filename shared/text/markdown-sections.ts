export interface TextRange {
  start: number;
  end: number;
}

export interface Section {
  /** Heading path in force for the section: ["Guide", "Install", "Linux"]. */
  headings: string[];
  /** Blocks separated by blank lines (a fenced code block is one block); heading lines are blocks too. */
  blocks: TextRange[];
}

const HEADING = /^ {0,3}(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/**
 * Splits Markdown-flavoured text into sections at ATX headings (outside code fences). A heading
 * followed directly by another heading stays in the same section, so no section is a bare heading.
 */
export function splitSections(text: string): Section[] {
  const sections: Section[] = [];
  const stack: { level: number; title: string }[] = [];
  let section: Section = { headings: [], blocks: [] };
  let sectionHasBody = false;
  let block: TextRange | null = null;
  let fence: string | null = null;
  const closeBlock = () => {
    if (block) section.blocks.push(block);
    block = null;
  };
  let lineStart = 0;
  while (lineStart <= text.length) {
    const newline = text.indexOf("\n", lineStart);
    const lineEnd = newline === -1 ? text.length : newline;
    const line = text.slice(lineStart, lineEnd);
    const first = line.trimStart()[0];
    if (fence !== null) {
      if (block) block.end = lineEnd;
      if (line.trim().startsWith(fence) && line.trim().replace(/[`~]/g, "") === "") {
        fence = null;
        closeBlock();
      }
    } else if (first === undefined) {
      closeBlock();
    } else if ((first === "`" || first === "~") && FENCE.test(line)) {
      closeBlock();
      fence = FENCE.exec(line)?.[1] ?? "```";
      block = { start: lineStart, end: lineEnd };
      sectionHasBody = true;
    } else if (first === "#" && HEADING.test(line)) {
      closeBlock();
      const [, hashes = "#", title = ""] = HEADING.exec(line) ?? [];
      if (sectionHasBody) {
        sections.push(section);
        section = { headings: [], blocks: [] };
        sectionHasBody = false;
      }
      while (stack.length > 0 && stack[stack.length - 1].level >= hashes.length) stack.pop();
      stack.push({ level: hashes.length, title: title.trim() });
      section.headings = stack.map((h) => h.title);
      section.blocks.push({ start: lineStart + line.indexOf("#"), end: lineEnd });
    } else {
      if (block) block.end = lineEnd;
      else block = { start: lineStart + (line.length - line.trimStart().length), end: lineEnd };
      sectionHasBody = true;
    }
    if (newline === -1) break;
    lineStart = newline + 1;
  }
  closeBlock();
  if (section.blocks.length > 0) sections.push(section);
  return sections;
}
