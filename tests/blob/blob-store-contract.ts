import { createHash, randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BlobNotFoundError, BlobTooLargeError, InvalidBlobKeyError } from "../../shared/blob/errors.ts";
import { blobKey, blobPrefix } from "../../shared/blob/keys.ts";
import type { BlobStore } from "../../shared/blob/port.ts";

export interface ContractHarness {
  store: BlobStore;
  close(): Promise<void>;
}

const MiB = 1024 * 1024;

/** Deterministic bytes whose value depends on their position, so reordered parts change the hash. */
function* pattern(totalBytes: number, chunkBytes = 64 * 1024): Generator<Buffer> {
  for (let offset = 0; offset < totalBytes; offset += chunkBytes) {
    const chunk = Buffer.alloc(Math.min(chunkBytes, totalBytes - offset));
    for (let i = 0; i < chunk.length; i++) {
      const position = offset + i;
      chunk[i] = (position * 31 + (position >>> 16) * 7) & 0xff;
    }
    yield chunk;
  }
}

function patternSha256(totalBytes: number): string {
  const hash = createHash("sha256");
  for (const chunk of pattern(totalBytes)) hash.update(chunk);
  return hash.digest("hex");
}

/** A stream that yields `bytesBeforeFailure` bytes, then errors like a dropped client connection. */
function failingStream(bytesBeforeFailure: number): Readable {
  return Readable.from(
    (function* () {
      yield* pattern(bytesBeforeFailure);
      throw new Error("client went away");
    })(),
  );
}

async function sha256Of(stream: Readable): Promise<{ size: number; sha256: string }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of stream) {
    size += (chunk as Buffer).length;
    hash.update(chunk as Buffer);
  }
  return { size, sha256: hash.digest("hex") };
}

const BAD_KEYS = [
  "../etc/passwd",
  "/etc/passwd",
  "t/a/uploads/../../../etc/passwd",
  "t/a/uploads/d/..",
  "t/a/uploads/d/.hidden",
  "t/a/uploads/d\n",
  "t/a/uploads/d\u0000x",
  "t/a/uploads/d/x\u001b",
  "t/A/uploads/d",
  "t/a/other/d",
  "t/a/uploads/d/x/y",
  "t/a/uploads/d/report final.pdf",
  "C:\\windows\\system32",
  "",
];

/** The behaviour every BlobStore adapter must share; `setup` builds a fresh store on empty storage. */
export function blobStoreContract(name: string, setup: () => Promise<ContractHarness>): void {
  describe(`BlobStore contract: ${name}`, () => {
    let harness: ContractHarness;
    let store: BlobStore;
    const tenant = randomUUID();

    beforeAll(async () => {
      harness = await setup();
      store = harness.store;
    });
    afterAll(async () => {
      await harness?.close();
    });

    const key = (id: string, suffix?: string) => blobKey(tenant, "uploads", id, suffix);

    it("streams a 5 MB generated body in and out with its size and sha256", async () => {
      const total = 5_000_000;
      const expected = patternSha256(total);
      const written = await store.put(key("big"), Readable.from(pattern(total)), {
        contentType: "application/octet-stream",
        maxBytes: 10 * MiB,
      });
      expect(written).toEqual({ size: total, sha256: expected });
      expect(await store.head(key("big"))).toEqual({ size: total });
      expect(await sha256Of(await store.get(key("big")))).toEqual({ size: total, sha256: expected });
    });

    it("stores a byte array and reads it back with getBytes", async () => {
      const body = new TextEncoder().encode("hello, quarry");
      const written = await store.put(key("small"), body, { contentType: "text/plain" });
      expect(written.size).toBe(body.byteLength);
      expect(written.sha256).toBe(createHash("sha256").update(body).digest("hex"));
      expect((await store.getBytes(key("small"))).toString("utf8")).toBe("hello, quarry");
    });

    it("overwrites an existing key", async () => {
      await store.put(key("overwrite"), Buffer.from("first version"));
      await store.put(key("overwrite"), Buffer.from("second"));
      expect((await store.getBytes(key("overwrite"))).toString()).toBe("second");
    });

    it("moves an object to another key, replacing what was there", async () => {
      await store.put(key("moved", "incoming"), Buffer.from("the upload"));
      await store.put(key("moved"), Buffer.from("older bytes"));
      await store.move(key("moved", "incoming"), key("moved"));
      expect((await store.getBytes(key("moved"))).toString()).toBe("the upload");
      expect(await store.head(key("moved", "incoming"))).toBeNull();
      // Writing the old key again leaves the moved object alone.
      await store.put(key("moved", "incoming"), Buffer.from("a late PUT"));
      expect((await store.getBytes(key("moved"))).toString()).toBe("the upload");
      await expect(store.move(key("never-stored"), key("moved"))).rejects.toBeInstanceOf(BlobNotFoundError);
      expect((await store.getBytes(key("moved"))).toString()).toBe("the upload");
    });

    it("throws BlobTooLargeError past maxBytes and leaves nothing behind", async () => {
      const source = Readable.from(pattern(3 * MiB));
      await expect(store.put(key("too-big"), source, { maxBytes: 2 * MiB })).rejects.toBeInstanceOf(
        BlobTooLargeError,
      );
      expect(source.destroyed).toBe(true);
      expect(await store.head(key("too-big"))).toBeNull();
      await expect(store.get(key("too-big"))).rejects.toBeInstanceOf(BlobNotFoundError);

      await expect(
        store.put(key("too-big-bytes"), Buffer.alloc(11), { maxBytes: 10 }),
      ).rejects.toBeInstanceOf(BlobTooLargeError);
      expect(await store.head(key("too-big-bytes"))).toBeNull();
    });

    it("accepts a body of exactly maxBytes", async () => {
      expect((await store.put(key("exact"), Buffer.alloc(10, 1), { maxBytes: 10 })).size).toBe(10);
    });

    it("keeps the previous object when an overwrite fails", async () => {
      await store.put(key("kept"), Buffer.from("original"));
      await expect(store.put(key("kept"), Buffer.alloc(100), { maxBytes: 50 })).rejects.toBeInstanceOf(
        BlobTooLargeError,
      );
      expect((await store.getBytes(key("kept"))).toString()).toBe("original");
    });

    it("leaves nothing behind when the body stream fails mid-way", async () => {
      await expect(store.put(key("broken"), failingStream(Math.floor(1.5 * MiB)))).rejects.toThrow(
        "client went away",
      );
      expect(await store.head(key("broken"))).toBeNull();
    });

    it("getBytes refuses an object larger than its limit", async () => {
      await store.put(key("limited"), Buffer.alloc(1000));
      await expect(store.getBytes(key("limited"), 999)).rejects.toBeInstanceOf(BlobTooLargeError);
      expect((await store.getBytes(key("limited"), 1000)).length).toBe(1000);
    });

    it("reports a missing key as null from head and BlobNotFoundError from get", async () => {
      expect(await store.head(key("never-written"))).toBeNull();
      await expect(store.get(key("never-written"))).rejects.toBeInstanceOf(BlobNotFoundError);
      await expect(store.getBytes(key("never-written"))).rejects.toBeInstanceOf(BlobNotFoundError);
    });

    it("deletes idempotently", async () => {
      await store.put(key("deleted"), Buffer.from("x"));
      await store.delete(key("deleted"));
      expect(await store.head(key("deleted"))).toBeNull();
      await store.delete(key("deleted"));
      await store.delete(key("never-existed"));
      expect(await store.head(key("deleted"))).toBeNull();
    });

    it("deletePrefix removes a key and its children, and nothing else", async () => {
      const a = randomUUID();
      const b = randomUUID();
      const keys = {
        doc: blobKey(a, "uploads", "d1"),
        docPage: blobKey(a, "uploads", "d1", "page-1.txt"),
        sibling: blobKey(a, "uploads", "d12"),
        canonical: blobKey(a, "canonical", "d1"),
        otherTenant: blobKey(b, "uploads", "d1"),
      };
      for (const k of Object.values(keys)) await store.put(k, Buffer.from(k));

      expect(await store.deletePrefix(blobPrefix(a, "uploads", "d1"))).toBe(2);
      expect(await store.head(keys.doc)).toBeNull();
      expect(await store.head(keys.docPage)).toBeNull();
      expect(await store.head(keys.sibling)).not.toBeNull();
      expect(await store.head(keys.canonical)).not.toBeNull();

      expect(await store.deletePrefix(`${blobPrefix(a)}/`)).toBe(2);
      expect(await store.head(keys.sibling)).toBeNull();
      expect(await store.head(keys.canonical)).toBeNull();
      expect((await store.getBytes(keys.otherTenant)).toString()).toBe(keys.otherTenant);
      expect(await store.deletePrefix(blobPrefix(a))).toBe(0);
    });

    it("deletePrefix removes more objects than one listing page holds", async () => {
      const t = randomUUID();
      for (let i = 0; i < 7; i++) await store.put(blobKey(t, "artifacts", `a${i}`), Buffer.from(String(i)));
      expect(await store.deletePrefix(blobPrefix(t, "artifacts"))).toBe(7);
      expect(await store.head(blobKey(t, "artifacts", "a6"))).toBeNull();
    });

    it("a signed PUT url accepts an upload", async () => {
      const signed = await store.signedPutUrl(key("presigned"), {
        expiresInSeconds: 300,
        contentType: "text/plain",
        maxBytes: 1024,
      });
      expect(signed.method).toBe("PUT");
      expect(signed.headers["content-type"]).toBe("text/plain");
      const response = await fetch(signed.url, {
        method: "PUT",
        headers: signed.headers,
        body: "uploaded through a signed url",
      });
      expect(response.status).toBe(200);
      expect((await store.getBytes(key("presigned"))).toString()).toBe("uploaded through a signed url");
    });

    it("a signed GET url downloads the object under its download name", async () => {
      await store.put(key("download"), Buffer.from("%PDF-1.7 pretend"), { contentType: "application/pdf" });
      const url = await store.signedGetUrl(key("download"), {
        expiresInSeconds: 300,
        downloadName: 'résumé "final".pdf',
      });
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(await response.text()).toBe("%PDF-1.7 pretend");
      const disposition = response.headers.get("content-disposition") ?? "";
      expect(disposition).toContain("filename*=UTF-8''r%C3%A9sum%C3%A9%20_final_.pdf");
      expect(disposition).not.toContain('"final"');
    });

    it("refuses keys outside the grammar in every operation", async () => {
      for (const bad of BAD_KEYS) {
        await expect(store.put(bad, Buffer.from("x")), bad).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.get(bad), bad).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.head(bad), bad).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.delete(bad), bad).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.move(bad, key("x")), bad).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.move(key("x"), bad), bad).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(
          store.signedPutUrl(bad, { expiresInSeconds: 60, maxBytes: 10 }),
          bad,
        ).rejects.toBeInstanceOf(InvalidBlobKeyError);
        await expect(store.signedGetUrl(bad, { expiresInSeconds: 60 }), bad).rejects.toBeInstanceOf(
          InvalidBlobKeyError,
        );
      }
      for (const bad of ["", "t", "t/", "t/../x", "/t/a", "t/a/../b", "t/a/uploads/d/../../e"]) {
        await expect(store.deletePrefix(bad), bad).rejects.toBeInstanceOf(InvalidBlobKeyError);
      }
    });
  });
}
