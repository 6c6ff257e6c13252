import type { Embedder } from "./port.ts";

/**
 * The built-in embedder: feature hashing of word unigrams, word bigrams and character 3–5-grams (with word
 * boundary marks) of the NFKC-normalised, lowercased text, signed into `dims` buckets with sublinear term
 * frequency (1 + ln tf) and L2-normalised. It is LEXICAL, not semantic: texts score alike when they share
 * words and spellings ("invoice" ~ "invoices"), never because they mean the same ("bill" ≁ "invoice").
 * Deterministic across processes and versions of Node; changing anything here means a new model alias.
 *
 * 384 dimensions by default: enough to keep unrelated texts near 0 (collision noise ~ 1/√dims) while
 * 100k chunks still fit in ~150 MB and search in milliseconds.
 */
export const HASHING_MODEL = "hashing-v1";
export const HASHING_DEFAULT_DIMS = 384;

const WORD_WEIGHT = 1;
const BIGRAM_WEIGHT = 0.5;
/** A word of n letters yields ~3n character n-grams: a small weight keeps words the main signal. */
const CHAR_WEIGHT = 0.25;

const FNV_PRIME = 0x01000193;
const WORD_SEED = 0x811c9dc5;
const BIGRAM_SEED = 0x5bd1e995;
const CHAR_SEED = 0x27d4eb2f;
const WORD_START = 1;
const WORD_END = 2;
/** Yield to the event loop after this many characters, so a large batch does not stall requests. */
const YIELD_EVERY_CHARS = 256 * 1024;

const UNKNOWN = 0;
const WORD = 1;
const OTHER = 2;
const WORD_CHAR = /[\p{L}\p{N}\p{M}]/u;
/** Per UTF-16 code unit: letter, digit or mark? Filled lazily; surrogates count as word characters. */
const charClass = new Uint8Array(65536);

function isWordChar(code: number): boolean {
  let cls = charClass[code];
  if (cls === UNKNOWN) {
    const surrogate = code >= 0xd800 && code <= 0xdfff;
    cls = surrogate || WORD_CHAR.test(String.fromCharCode(code)) ? WORD : OTHER;
    charClass[code] = cls;
  }
  return cls === WORD;
}

/** murmur3's finaliser: spreads FNV's weak low bits before they pick a bucket. */
function mix(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** Counts features of one text in an open-addressing table that is reused, never cleared (generations). */
class FeatureCounter {
  private capacity = 1 << 14;
  private keys = new Int32Array(this.capacity);
  private counts = new Int32Array(this.capacity);
  private weights = new Float32Array(this.capacity);
  private stamps = new Uint32Array(this.capacity);
  private used = new Int32Array(this.capacity);
  private size = 0;
  private generation = 1;
  private shift = 32 - 14;

  reset(): void {
    this.size = 0;
    this.generation++;
    if (this.generation === 0xffffffff) {
      this.stamps.fill(0);
      this.generation = 1;
    }
  }

  add(key: number, weight: number): void {
    const mask = this.capacity - 1;
    let slot = Math.imul(key, 0x9e3779b1) >>> this.shift;
    for (;;) {
      if (this.stamps[slot] !== this.generation) {
        this.stamps[slot] = this.generation;
        this.keys[slot] = key;
        this.counts[slot] = 1;
        this.weights[slot] = weight;
        this.used[this.size++] = slot;
        if (this.size * 2 > this.capacity) this.grow();
        return;
      }
      if (this.keys[slot] === key) {
        this.counts[slot]++;
        return;
      }
      slot = (slot + 1) & mask;
    }
  }

  /** Adds every counted feature, with sublinear tf, to its signed bucket of `out`. */
  project(out: Float32Array): void {
    const dims = out.length;
    for (let i = 0; i < this.size; i++) {
      const slot = this.used[i] as number;
      const h = mix(this.keys[slot] as number);
      const value = (this.weights[slot] as number) * (1 + Math.log(this.counts[slot] as number));
      const bucket = (h & 0x7fffffff) % dims;
      out[bucket] = (out[bucket] as number) + (h >>> 31 === 1 ? -value : value);
    }
  }

  private grow(): void {
    const { keys, counts, weights, used, size } = this;
    this.capacity *= 2;
    this.shift--;
    this.keys = new Int32Array(this.capacity);
    this.counts = new Int32Array(this.capacity);
    this.weights = new Float32Array(this.capacity);
    this.stamps = new Uint32Array(this.capacity);
    this.used = new Int32Array(this.capacity);
    this.size = 0;
    this.generation = 1;
    const mask = this.capacity - 1;
    for (let i = 0; i < size; i++) {
      const from = used[i] as number;
      const key = keys[from] as number;
      let slot = Math.imul(key, 0x9e3779b1) >>> this.shift;
      while (this.stamps[slot] === this.generation) slot = (slot + 1) & mask;
      this.stamps[slot] = this.generation;
      this.keys[slot] = key;
      this.counts[slot] = counts[from] as number;
      this.weights[slot] = weights[from] as number;
      this.used[this.size++] = slot;
    }
  }
}

function addCharGrams(counter: FeatureCounter, s: string, start: number, end: number): void {
  const length = end - start + 2;
  for (let p = 0; p + 3 <= length; p++) {
    let h = CHAR_SEED;
    const last = Math.min(p + 5, length);
    for (let k = p; k < last; k++) {
      const code = k === 0 ? WORD_START : k === length - 1 ? WORD_END : s.charCodeAt(start + k - 1);
      h = Math.imul(h ^ code, FNV_PRIME);
      if (k - p >= 2) counter.add(h, CHAR_WEIGHT);
    }
  }
}

function countFeatures(counter: FeatureCounter, s: string): void {
  const n = s.length;
  let previous = 0;
  let hasPrevious = false;
  let i = 0;
  while (i < n) {
    while (i < n && !isWordChar(s.charCodeAt(i))) i++;
    if (i >= n) break;
    const start = i;
    let h = WORD_SEED;
    while (i < n) {
      const code = s.charCodeAt(i);
      if (!isWordChar(code)) break;
      h = Math.imul(h ^ code, FNV_PRIME);
      i++;
    }
    counter.add(h, WORD_WEIGHT);
    if (hasPrevious)
      counter.add(Math.imul(Math.imul(BIGRAM_SEED ^ previous, FNV_PRIME) ^ h, FNV_PRIME), BIGRAM_WEIGHT);
    previous = h;
    hasPrevious = true;
    addCharGrams(counter, s, start, i);
  }
}

function normalise(v: Float32Array): void {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += (v[i] as number) * (v[i] as number);
  if (sum === 0) return;
  const scale = 1 / Math.sqrt(sum);
  for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) * scale;
}

/** "hashing-v1", with the size appended when it is not the default one. */
export function hashingModelName(dims = HASHING_DEFAULT_DIMS): string {
  return dims === HASHING_DEFAULT_DIMS ? HASHING_MODEL : `${HASHING_MODEL}-d${dims}`;
}

export interface HashingEmbedderOptions {
  dims?: number;
  /** Defaults to `hashingModelName(dims)`. */
  model?: string;
}

/** A text with no letters or digits embeds to the zero vector (cosine 0 with everything). */
export function createHashingEmbedder(options: HashingEmbedderOptions = {}): Embedder {
  const dims = options.dims ?? HASHING_DEFAULT_DIMS;
  if (!Number.isInteger(dims) || dims < 8) throw new Error("hashing embedder needs at least 8 dimensions");
  const model = options.model ?? hashingModelName(dims);
  const counter = new FeatureCounter();

  function embedOne(text: string): Float32Array {
    counter.reset();
    countFeatures(counter, text.normalize("NFKC").toLowerCase());
    const vector = new Float32Array(dims);
    counter.project(vector);
    normalise(vector);
    return vector;
  }

  return {
    kind: "hashing",
    model,
    dims,
    semantic: false,
    async embed(texts, signal) {
      const vectors: Float32Array[] = [];
      let sinceYield = 0;
      for (const text of texts) {
        signal?.throwIfAborted();
        vectors.push(embedOne(text));
        sinceYield += text.length;
        if (sinceYield >= YIELD_EVERY_CHARS) {
          sinceYield = 0;
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
      return vectors;
    },
  };
}
