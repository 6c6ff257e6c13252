import type { AnalysisResult, AnalysisSource } from "./types.ts";

/** Text from a user or a document placed in a table cell or a heading, kept on one line. */
function inline(text: string): string {
  return text.replace(/\s+/g, " ").replace(/\|/g, "\\|").trim();
}

function describeSource(source: AnalysisSource): string {
  switch (source.kind) {
    case "file":
      return `file ${inline(source.name)} (${source.size_bytes} bytes)`;
    case "text":
      return `text (${source.size_bytes} bytes)`;
    case "url": {
      const final =
        source.fetched && source.fetched.url !== source.url ? `, redirected to <${source.fetched.url}>` : "";
      return `<${source.url}>${final}`;
    }
  }
}

/** The Markdown report of a finished analysis (the JSON artifact holds the same result as data). */
export function renderReport(input: {
  id: string;
  source: AnalysisSource;
  result: AnalysisResult;
  finishedAt: Date;
}): string {
  const { result, source } = input;
  const method =
    result.method === "model"
      ? `language model \`${inline(result.model)}\` (notes per chunk, then one combined answer)`
      : "extractive (no language model configured: sentences picked from the text, not written)";
  const lines = [
    `# Analysis: ${inline(result.document.title ?? source.name)}`,
    "",
    "| | |",
    "|---|---|",
    `| Source | ${describeSource(source)} |`,
    `| Type | ${result.document.mime}, ${result.document.characters} characters, ${result.document.chunks} chunk(s) |`,
    `| Method | ${method} |`,
    ...(result.prompt ? [`| Task | ${inline(result.prompt)} |`] : []),
    ...(result.language ? [`| Language | ${inline(result.language)} |`] : []),
    `| Analysis | \`${input.id}\`, finished ${input.finishedAt.toISOString()} |`,
    "",
    "## Summary",
    "",
    result.summary,
    "",
    "## Key points",
    "",
    ...(result.key_points.length > 0 ? result.key_points.map((point) => `- ${inline(point)}`) : ["_None._"]),
    "",
    "## Key terms",
    "",
    result.key_terms.length > 0
      ? result.key_terms.map((t) => `\`${t.term.replace(/`/g, "'")}\` (${t.count})`).join(", ")
      : "_None._",
    "",
  ];
  if (result.data) {
    lines.push("## Structured data", "", "```json", JSON.stringify(result.data, null, 2), "```", "");
  }
  return lines.join("\n");
}
