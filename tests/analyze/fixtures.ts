/** A small article with a clear topic, headings and enough sentences for the extractive summary. */
export const ARTICLE = `# Rooftop solar panels for small offices

Rooftop solar panels turn sunlight into electricity for the building below them.
A small office with a flat roof can usually fit twenty to forty solar panels.
The panels produce the most electricity around midday, when offices use the most power.

## Costs

The installation of rooftop solar panels costs between 15,000 and 30,000 euros for a small office.
Most offices recover the cost of their solar panels within seven to ten years through lower electricity bills.
Public subsidies can cover up to a third of the installation cost in many regions.

## Maintenance

Solar panels need little maintenance beyond cleaning the glass twice a year.
An inverter converts the direct current of the panels into alternating current for the office.
The inverter usually has to be replaced once during the twenty-five year life of the panels.

## Decision

The board decided to install thirty-two solar panels on the roof of the Lyon office in March.
The project manager will compare three offers from local installers before the end of January.
`;

/** The same article as a web page. */
export const ARTICLE_HTML = `<!doctype html><html><head><title>Rooftop solar panels</title></head><body>
<article>${ARTICLE.split("\n\n")
  .map((block) =>
    block.startsWith("# ")
      ? `<h1>${block.slice(2)}</h1>`
      : block.startsWith("## ")
        ? `<h2>${block.slice(3)}</h2>`
        : `<p>${block.replace(/\n/g, " ")}</p>`,
  )
  .join("\n")}</article></body></html>`;

/** A long document: `parts` sections of distinct, numbered sentences (several analysis chunks). */
export function longDocument(parts: number): string {
  const sections: string[] = [];
  for (let p = 1; p <= parts; p++) {
    const sentences = Array.from(
      { length: 120 },
      (_, s) =>
        `Section ${p} sentence ${s + 1} reports that warehouse ${p} shipped ${p * 100 + s} parcels on time.`,
    );
    sections.push(`## Section ${p}\n\n${sentences.join(" ")}`);
  }
  return `# Quarterly logistics report\n\n${sections.join("\n\n")}\n`;
}
