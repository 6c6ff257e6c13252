import { describe, expect, it } from "vitest";
import { POINT_ID_NAMESPACE, pointId, uuidv5 } from "../../shared/vectors/point-id.ts";

const DNS_NAMESPACE = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";

describe("point ids", () => {
  it("implements RFC 9562 UUIDv5 (known answer)", () => {
    // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
    expect(uuidv5("python.org", DNS_NAMESPACE)).toBe("886313e1-3b8a-5372-9b90-0c9aee199e5d");
  });

  it("is deterministic and distinct per document, chunk index and model", () => {
    const doc = "1b4e28ba-2fa1-41d2-883f-0016d3cca427";
    const id = pointId(doc, 3, "hashing-v1");
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(pointId(doc, 3, "hashing-v1")).toBe(id);
    expect(id).toBe(uuidv5(`${doc}:3:hashing-v1`, POINT_ID_NAMESPACE));
    const others = [
      pointId(doc, 4, "hashing-v1"),
      pointId(doc, 3, "nomic-embed-text"),
      pointId("2b4e28ba-2fa1-41d2-883f-0016d3cca427", 3, "hashing-v1"),
    ];
    expect(new Set([id, ...others]).size).toBe(4);
  });

  it("refuses a namespace that is not a UUID", () => {
    expect(() => uuidv5("x", "not-a-uuid")).toThrow(/not a UUID/);
  });
});
