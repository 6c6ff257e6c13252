import { describe, expect, it } from "vitest";
import { createHashingEmbedder, HASHING_DEFAULT_DIMS } from "../../shared/embeddings/hashing-embedder.ts";

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += (a[i] as number) * (b[i] as number);
  return dot;
}

function norm(v: Float32Array): number {
  return Math.sqrt(cosine(v, v));
}

async function embedOne(text: string, dims?: number): Promise<Float32Array> {
  const [vector] = await createHashingEmbedder({ dims }).embed([text]);
  if (!vector) throw new Error("no vector");
  return vector;
}

describe("hashing embedder", () => {
  it("describes itself as lexical, with its model alias and size", () => {
    const embedder = createHashingEmbedder();
    expect(embedder).toMatchObject({ kind: "hashing", model: "hashing-v1", dims: 384, semantic: false });
    expect(HASHING_DEFAULT_DIMS).toBe(384);
    expect(createHashingEmbedder({ dims: 256 }).model).toBe("hashing-v1-d256");
    expect(createHashingEmbedder({ dims: 256, model: "custom" }).model).toBe("custom");
  });

  it("is deterministic: separate instances give bit-identical vectors", async () => {
    const texts = ["The quick brown fox", "Überprüfung der Rechnungen — 2024", "日本語のテキスト"];
    const a = await createHashingEmbedder().embed(texts);
    const b = await createHashingEmbedder().embed(texts);
    expect(a.map((v) => Buffer.from(v.buffer).toString("hex"))).toEqual(
      b.map((v) => Buffer.from(v.buffer).toString("hex")),
    );
  });

  it("returns one unit vector of the configured size per text, in order", async () => {
    const embedder = createHashingEmbedder({ dims: 128 });
    const vectors = await embedder.embed(["alpha", "beta gamma", "delta epsilon zeta"]);
    expect(vectors).toHaveLength(3);
    for (const v of vectors) {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v.length).toBe(128);
      expect(norm(v)).toBeCloseTo(1, 5);
    }
    expect(cosine(vectors[0] as Float32Array, await embedOne("alpha", 128))).toBeCloseTo(1, 6);
  });

  it("scores texts sharing words and spellings above unrelated ones", async () => {
    const query = await embedOne("How do I reset my password?");
    const related = await embedOne("Resetting a forgotten password");
    const unrelated = await embedOne("Quarterly revenue grew by ten percent");
    expect(cosine(query, related)).toBeGreaterThan(0.2);
    expect(cosine(query, related)).toBeGreaterThan(cosine(query, unrelated) + 0.15);

    const invoice = await embedOne("invoice");
    expect(cosine(invoice, await embedOne("invoices"))).toBeGreaterThan(
      cosine(invoice, await embedOne("banana")),
    );
  });

  it("ignores case and Unicode compatibility forms (NFKC)", async () => {
    const plain = await embedOne("fullwidth text, ﬁne");
    const variant = await embedOne("ＦＵＬＬＷＩＤＴＨ TEXT, FINE");
    expect(cosine(plain, variant)).toBeCloseTo(1, 5);
  });

  it("word order matters a little (bigrams), words matter most", async () => {
    const a = await embedOne("dog bites man");
    const b = await embedOne("man bites dog");
    const similarity = cosine(a, b);
    expect(similarity).toBeLessThan(0.999);
    expect(similarity).toBeGreaterThan(0.8);
  });

  it("embeds text without letters or digits to the zero vector", async () => {
    const [empty, punctuation] = await createHashingEmbedder().embed(["", " ... !!! — "]);
    expect(norm(empty as Float32Array)).toBe(0);
    expect(norm(punctuation as Float32Array)).toBe(0);
  });

  it("gives the same vector for a text before and after a much larger one", async () => {
    const embedder = createHashingEmbedder();
    const words = Array.from({ length: 60_000 }, (_, i) => `w${(i * 7919) % 50_000}x`);
    const [before] = await embedder.embed(["a short text about invoices"]);
    const [large] = await embedder.embed([words.join(" ")]);
    const [after] = await embedder.embed(["a short text about invoices"]);
    expect(norm(large as Float32Array)).toBeCloseTo(1, 5);
    expect(Buffer.from((after as Float32Array).buffer)).toEqual(Buffer.from((before as Float32Array).buffer));
  });

  it("stops between texts when the signal aborts", async () => {
    const reason = new Error("canceled");
    await expect(createHashingEmbedder().embed(["a", "b"], AbortSignal.abort(reason))).rejects.toBe(reason);
  });
});
