import { randomBytes } from "node:crypto";
import { deflateSync, gzipSync } from "node:zlib";
import { PDFDocument, rgb } from "pdf-lib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import { createTeam, type TestUser } from "../helpers/users.ts";
import {
  type DocumentJson,
  runningWorkers,
  startTestWorker,
  type TestWorker,
  waitForStatus,
} from "../helpers/worker.ts";
import { buildDocxBomb } from "../text/builders.ts";
import { chunksOf, pointRowsOf, uploadFile, waitForNoJobs } from "./fixtures.ts";

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typed = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typed));
  return Buffer.concat([length, typed, crc]);
}

/** A real 2×2 RGB PNG. */
function buildPng(): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(2, 0);
  header.writeUInt32BE(2, 4);
  header.set([8, 2, 0, 0, 0], 8);
  const rows = Buffer.from([0, 255, 0, 0, 0, 255, 0, 0, 0, 0, 255, 255, 255, 255]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", header),
    pngChunk("IDAT", deflateSync(rows)),
    pngChunk("IEND", new Uint8Array()),
  ]);
}

/** A scanned-looking PDF: two pages of drawn shapes, no text operators at all. */
async function buildImageOnlyPdf(): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  for (let i = 0; i < 2; i++) {
    const page = pdf.addPage([595, 842]);
    page.drawRectangle({ x: 50, y: 500, width: 300, height: 200, color: rgb(0.2, 0.3, 0.4) });
  }
  return pdf.save();
}

/** Looks like an ELF executable: magic, class, endianness, then noise with NUL bytes. */
function buildBinary(): Buffer {
  return Buffer.concat([
    Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]),
    Buffer.alloc(56),
    randomBytes(4096),
  ]);
}

describe("ingest: bad input ends failed with a message a person can act on", () => {
  let t: TestApp;
  let worker: TestWorker;
  let editor: TestUser;

  beforeAll(async () => {
    t = await startTestApp({ env: { INGEST_MAX_ATTEMPTS: "3" } });
    ({ editor } = await createTeam(t.deps));
    worker = await startTestWorker(t);
  });
  afterAll(async () => {
    await worker?.stop();
    expect(runningWorkers()).toBe(0);
    await t?.close();
  });

  async function expectRefused(doc: DocumentJson, message: RegExp) {
    expect(doc.status).toBe("queued");
    const failed = await waitForStatus(t, doc.id, "failed");
    expect(failed.error).toMatch(message);
    // Human text, not a stack trace or an internal error name.
    expect(failed.error).not.toMatch(/\n\s+at |Error:|undefined|\[object/);
    expect(failed.stage_timestamps.extract?.started_at).toBeTruthy();
    expect(failed.stage_timestamps.extract?.ended_at).toBeUndefined();
    expect(failed.stage_timestamps.chunk).toBeUndefined();
    // A permanent failure does not burn retries: the job ends (a retried one would stay, scheduled).
    await waitForNoJobs(t.deps, doc.id);
    expect(await chunksOf(t.deps, doc.id)).toEqual([]);
    expect(await pointRowsOf(t.deps, doc.id)).toEqual([]);
    for (const path of [`/api/rag/${doc.id}`, `/api/rag/${doc.id}/progress`]) {
      const res = await t.call(path, { token: editor.token });
      expect(res.status).toBe(200);
      expect((await readJson<{ error: string }>(res)).error).toBe(failed.error);
    }
  }

  it("a PNG named .txt is judged by its bytes", async () => {
    const doc = await uploadFile(t, editor.token, buildPng(), "notes.txt");
    await expectRefused(doc, /looks like a PNG image; Quarry can index PDF, DOCX/);
  });

  it("a zip bomb disguised as a DOCX", async () => {
    const bomb = buildDocxBomb(24 * 1024 * 1024);
    expect(bomb.byteLength).toBeLessThan(200 * 1024);
    const doc = await uploadFile(t, editor.token, bomb, "report.docx");
    await expectRefused(doc, /zip bomb/);
  });

  it("a PDF without a text layer", async () => {
    const doc = await uploadFile(t, editor.token, await buildImageOnlyPdf(), "scan.pdf");
    await expectRefused(doc, /no text layer/);
  });

  it("an unsupported binary (an executable)", async () => {
    const doc = await uploadFile(t, editor.token, buildBinary(), "tool.txt");
    await expectRefused(doc, /looks like a program \(executable\)/);
  });

  it("a compressed archive named .md", async () => {
    const gz = gzipSync(Buffer.from("# Notes\n\nCompressed text is still not text.\n".repeat(50)));
    const doc = await uploadFile(t, editor.token, gz, "notes.md");
    await expectRefused(doc, /looks like a GZ archive/);
  });
});
