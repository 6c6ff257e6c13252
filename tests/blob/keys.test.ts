import { describe, expect, it } from "vitest";
import { contentDisposition } from "../../shared/blob/content-disposition.ts";
import { InvalidBlobKeyError } from "../../shared/blob/errors.ts";
import { blobKey, blobPrefix, isBlobKey, normalizeBlobPrefix, parseBlobKey } from "../../shared/blob/keys.ts";

const tenant = "6f1c9f5e-2b7a-4d0e-8c3b-1a2b3c4d5e6f";
const doc = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

describe("blob keys", () => {
  it("builds keys as t/<tenant>/<kind>/<id>[/<suffix>]", () => {
    expect(blobKey(tenant, "uploads", doc)).toBe(`t/${tenant}/uploads/${doc}`);
    expect(blobKey(tenant, "canonical", doc, "text.md")).toBe(`t/${tenant}/canonical/${doc}/text.md`);
    expect(isBlobKey(blobKey(tenant, "artifacts", doc, "result_v2.json"))).toBe(true);
  });

  it("parses a key back into its parts, and refuses anything else", () => {
    expect(parseBlobKey(blobKey(tenant, "uploads", doc))).toEqual({
      tenantId: tenant,
      kind: "uploads",
      id: doc,
    });
    expect(parseBlobKey(blobKey(tenant, "canonical", doc, "text.json"))).toEqual({
      tenantId: tenant,
      kind: "canonical",
      id: doc,
      suffix: "text.json",
    });
    for (const bad of ["", `t/${tenant}`, `t/${tenant}/other/${doc}`, `t/${tenant}/uploads/${doc}/a/b`]) {
      expect(() => parseBlobKey(bad), bad).toThrow(InvalidBlobKeyError);
    }
  });

  it("refuses suffixes, ids and tenants that could become paths", () => {
    for (const suffix of ["..", ".", "../x", "a/b", "Report.PDF", "a b", "a\u0000", ".env", "x\n", "é"]) {
      expect(() => blobKey(tenant, "uploads", doc, suffix), suffix).toThrow(InvalidBlobKeyError);
    }
    expect(() => blobKey("..", "uploads", doc)).toThrow(InvalidBlobKeyError);
    expect(() => blobKey(tenant, "uploads", "../../etc")).toThrow(InvalidBlobKeyError);
    expect(() => blobKey(tenant, "uploads", "")).toThrow(InvalidBlobKeyError);
    expect(() => blobKey(tenant, "uploads", "x".repeat(65))).toThrow(InvalidBlobKeyError);
  });

  it("builds prefixes at segment boundaries", () => {
    expect(blobPrefix(tenant)).toBe(`t/${tenant}`);
    expect(blobPrefix(tenant, "uploads", doc)).toBe(`t/${tenant}/uploads/${doc}`);
    expect(normalizeBlobPrefix(`t/${tenant}/uploads/`)).toBe(`t/${tenant}/uploads`);
    expect(() => normalizeBlobPrefix("t/")).toThrow(InvalidBlobKeyError);
    expect(() => normalizeBlobPrefix(`t/${tenant}//`)).toThrow(InvalidBlobKeyError);
  });
});

describe("contentDisposition", () => {
  it("keeps the exact name in filename* and an ASCII fallback without quotes or separators", () => {
    expect(contentDisposition("naïve report.pdf")).toBe(
      `attachment; filename="naive report.pdf"; filename*=UTF-8''na%C3%AFve%20report.pdf`,
    );
    const hostile = contentDisposition('x"; filename="evil.exe\r\nSet-Cookie: a=b/../..\\y');
    expect(hostile).not.toMatch(/[\r\n]/);
    expect(hostile.match(/"/g)).toHaveLength(2);
    expect(hostile).not.toContain("/");
    expect(contentDisposition("bad\ud800.txt")).toContain("filename*=UTF-8''bad_.txt");
    expect(contentDisposition("日本.txt")).toContain('filename="__.txt"');
    expect(contentDisposition("   ", "inline")).toBe(
      `inline; filename="download"; filename*=UTF-8''download`,
    );
  });
});
