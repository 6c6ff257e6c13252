import iconv from "iconv-lite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { startS3Server, type TestS3Server } from "../helpers/s3-server.ts";
import { createTeam, type TestUser } from "../helpers/users.ts";
import {
  type DocumentJson,
  runningWorkers,
  startTestWorker,
  type TestWorker,
  waitForStatus,
} from "../helpers/worker.ts";
import { buildDocx, buildPdf, prose } from "../text/builders.ts";
import { chunksOf, embeddedCount, pointRowsOf, progressOf, uploadFile } from "./fixtures.ts";

const CYRILLIC = [
  "Съешь же ещё этих мягких французских булок, да выпей чаю.",
  "Широкая электрификация южных губерний даст мощный толчок подъёму сельского хозяйства.",
  "В чащах юга жил бы цитрус? Да, но фальшивый экземпляр!",
  "Эй, жлоб! Где туз? Прячь юных съёмщиц в шкаф.",
].join(" ");
const GREEK = "Ξεσκεπάζω την ψυχοφθόρα βδελυγμία. Γαζέες καὶ μυρτιὲς δὲν θὰ βρῶ πιὰ στὸ χρυσαφὶ ξέφωτο.";
// Only characters latin-1 holds (no œ).
const FRENCH = "Le coeur déçu mais l'âme plutôt naïve, Louÿs rêva de crapaüter en canoë au delà des îles.";

const HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>Harbor survey</title></head>
<body>
<nav><a href="/">NavHomeLink</a> | <a href="/about">NavAboutLink</a> | <a href="/login">NavLoginLink</a></nav>
<header><p>HeaderBannerNoise sitewide banner</p></header>
<article>
<h1>Harbor survey results</h1>
<p>${prose(8, 7)} The lighthouse keeper logged seventeen tides in one week.</p>
<p>${prose(8, 8)}</p>
<p>${prose(8, 9)}</p>
</article>
<footer>FooterCopyrightNoise all rights reserved</footer>
</body></html>`;

/** Three pages, each with a sentence only it holds (page-patterned lines would be dropped as running headers). */
const PAGE_WORDS = ["cliffs", "reef", "pier"];
const PDF_PAGES = [
  ["The alpha crews surveyed the northern cliffs at dawn.", ...sentences(4, 1)],
  ["Bravo soundings mapped the southern reef by noon.", ...sentences(4, 2)],
  ["Charlie masons rebuilt the eastern pier at dusk.", ...sentences(4, 3)],
];

function sentences(count: number, seed: number): string[] {
  return prose(count, seed)
    .split(/(?<=\.) /)
    .map((sentence) => sentence.slice(0, 80));
}

describe("ingest: formats from upload to ready", () => {
  let t: TestApp;
  let s3: TestS3Server;
  let worker: TestWorker;
  let editor: TestUser;

  beforeAll(async () => {
    s3 = await startS3Server("ingest-formats");
    t = await startTestApp({
      env: {
        CHUNK_MAX_TOKENS: "48",
        CHUNK_OVERLAP_TOKENS: "8",
        ...s3.quarryEnv,
      },
    });
    ({ editor } = await createTeam(t.deps));
    worker = await startTestWorker(t);
  });
  afterAll(async () => {
    await worker?.stop();
    expect(runningWorkers()).toBe(0);
    await t?.close();
    await s3?.close();
  });

  /** Everything `ready` promises: stages recorded, chunks embedded and indexed, progress agreeing. */
  async function expectFullyIngested(doc: DocumentJson) {
    const ready = await waitForStatus(t, doc.id, "ready");
    for (const stage of ["extract", "chunk", "embed", "index"]) {
      const stamps = ready.stage_timestamps[stage];
      expect(stamps?.started_at, `${stage} started_at`).toBeTruthy();
      expect(stamps?.ended_at, `${stage} ended_at`).toBeTruthy();
      expect(Date.parse(stamps?.ended_at ?? "")).toBeGreaterThanOrEqual(Date.parse(stamps?.started_at ?? ""));
    }
    expect(ready.error).toBeNull();
    expect(ready.embedding_model).toBe(t.deps.embedder.model);

    const chunks = await chunksOf(t.deps, doc.id);
    expect(chunks.length).toBeGreaterThan(0);
    expect(chunks.map((c) => c.idx)).toEqual(chunks.map((_, i) => i));
    const hashes = [...new Set(chunks.map((c) => c.content_hash))];
    expect(await embeddedCount(t.deps, t.deps.embedder.model, hashes)).toBe(hashes.length);
    const indexed = await t.deps.vectorIndex.count(t.deps.embedder.model, {
      tenantId: editor.tenantId,
      documentId: doc.id,
    });
    expect(indexed).toBe(chunks.length);
    expect((await pointRowsOf(t.deps, doc.id)).length).toBe(chunks.length);
    expect(await progressOf(t, editor.token, doc.id)).toMatchObject({
      status: "ready",
      chunks: chunks.length,
      embedded: chunks.length,
      indexed: chunks.length,
    });
    const row = await t.deps.db
      .selectFrom("documents")
      .select(["canonical_key", "blob_key"])
      .where("id", "=", doc.id)
      .executeTakeFirstOrThrow();
    expect(row.canonical_key).toBeTruthy();
    expect(await t.deps.blobStore.head(row.canonical_key ?? "")).not.toBeNull();
    return { ready, chunks };
  }

  it("a multi-page PDF: chunks carry the page they start on", async () => {
    const doc = await uploadFile(t, editor.token, await buildPdf(PDF_PAGES, "Survey"), "survey.pdf");
    const { ready, chunks } = await expectFullyIngested(doc);
    expect(ready.mime).toBe("application/pdf");
    for (const [i, word] of PAGE_WORDS.entries()) {
      const page = i + 1;
      const holder = chunks.find((c) => c.text.includes(word));
      expect(holder, `a chunk with "${word}"`).toBeDefined();
      const first = holder?.page ?? 0;
      const last = (holder?.meta as { page_end?: number } | undefined)?.page_end ?? first;
      expect(first).toBeLessThanOrEqual(page);
      expect(last).toBeGreaterThanOrEqual(page);
    }
    expect(new Set(chunks.map((c) => c.page))).toEqual(new Set([1, 2, 3]));
  });

  it("a DOCX with a table: the cell text is in a chunk", async () => {
    const docx = buildDocx([
      { heading: "Quarterly ledger" },
      { paragraph: prose(3, 21) },
      {
        table: [
          ["Region", "Revenue"],
          ["Northwind", "4711 crowns"],
          ["Southmarch", "1234 crowns"],
        ],
      },
      { paragraph: prose(3, 22) },
    ]);
    const doc = await uploadFile(t, editor.token, docx, "ledger.docx");
    const { ready, chunks } = await expectFullyIngested(doc);
    expect(ready.mime).toBe("application/vnd.openxmlformats-officedocument.wordprocessingml.document");
    const table = chunks.find((c) => c.text.includes("Northwind"));
    expect(table?.text).toContain("4711 crowns");
    expect(chunks.some((c) => c.text.includes("Southmarch"))).toBe(true);
  });

  it("an HTML page: the article is indexed, the navigation and page chrome are not", async () => {
    const doc = await uploadFile(t, editor.token, HTML, "survey.html");
    const { ready, chunks } = await expectFullyIngested(doc);
    expect(ready.mime).toBe("text/html");
    const all = chunks.map((c) => c.text).join("\n");
    expect(all).toContain("seventeen tides");
    for (const noise of ["NavHomeLink", "NavAboutLink", "HeaderBannerNoise", "FooterCopyrightNoise"]) {
      expect(all).not.toContain(noise);
    }
  });

  it("text in windows-1251, UTF-16 with a BOM and latin-1 is decoded correctly", async () => {
    const cases = [
      {
        bytes: iconv.encode(`${CYRILLIC}\n\nВторой абзац короче первого и обходится без запятых.`, "win1251"),
        name: "ru.txt",
        expected: "мягких французских булок",
      },
      {
        bytes: iconv.encode(`${GREEK}\n\n${CYRILLIC}`, "utf-16le", { addBOM: true }),
        name: "el.txt",
        expected: "ψυχοφθόρα βδελυγμία",
      },
      {
        bytes: iconv.encode(`${FRENCH}\n\nUn second paragraphe sans virgule suit le premier.`, "latin1"),
        name: "fr.txt",
        expected: "l'âme plutôt naïve, Louÿs",
      },
    ];
    const docs = await Promise.all(cases.map((c) => uploadFile(t, editor.token, c.bytes, c.name)));
    for (const [i, doc] of docs.entries()) {
      const { ready, chunks } = await expectFullyIngested(doc);
      expect(ready.mime).toBe("text/plain");
      const all = chunks.map((c) => c.text).join("\n");
      expect(all, cases[i].name).toContain(cases[i].expected);
      expect(all).not.toContain("\uFFFD");
    }
    const russian = await chunksOf(t.deps, docs[0].id);
    expect(russian.map((c) => c.text).join(" ")).toContain("Широкая электрификация южных губерний");
  });
});
