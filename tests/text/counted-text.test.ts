import { describe, expect, it } from "vitest";
import { countedText } from "../../shared/text/counted-text.ts";
import { countTokens, isSpace } from "../../shared/text/tokens.ts";
import { seededRandom } from "../helpers/seeded-random.ts";
import { prose } from "./builders.ts";

// What moves cl100k's pre-token boundaries: letters, digits, punctuation before line breaks, contractions,
// every kind of space and line break, combining marks, astral characters, special-token text, long runs.
const PIECES = [
  ..."aZéß字1٣.,!?'\"-#`😀𝐀\u0301\u093f\u0085",
  " ",
  " ",
  "  ",
  "\t",
  "\n",
  "\n\n",
  "\r\n",
  "\r",
  "\u00a0",
  "\u3000",
  "\u2028",
  "\u000b",
  "\f",
  "'s",
  "'LL",
  "word",
  " the",
  "123456",
  ".\n",
  "<|endoftext|>",
  "x".repeat(300),
  "ab".repeat(150),
];

function adversarial(random: () => number, pieces: number): string {
  let text = "";
  for (let i = 0; i < pieces; i++) text += PIECES[Math.floor(random() * PIECES.length)];
  return text;
}

describe("isSpace", () => {
  it("is JavaScript's \\s on every UTF-16 code unit", () => {
    const differing: number[] = [];
    for (let code = 0; code < 0x10000; code++) {
      if (isSpace(code) !== /\s/.test(String.fromCharCode(code))) differing.push(code);
    }
    expect(differing).toEqual([]);
  });
});

describe("countTokens", () => {
  it("counts runs longer than 256 non-spaces in slices of 256", () => {
    const run = "ab".repeat(300);
    const slices =
      countTokens(run.slice(0, 256)) + countTokens(run.slice(256, 512)) + countTokens(run.slice(512));
    expect(countTokens(run)).toBe(slices);
    expect(countTokens(`lead ${run} tail`)).toBe(countTokens("lead ") + slices + countTokens(" tail"));
  });
});

describe("countedText", () => {
  it("counts any range exactly as countTokens counts the slice", () => {
    const random = seededRandom(7);
    let checked = 0;
    for (let round = 0; round < 120; round++) {
      const text = adversarial(random, 20 + Math.floor(random() * 1500));
      const counted = countedText(text);
      expect(counted.count(0, text.length)).toBe(countTokens(text));
      for (let i = 0; i < 25; i++) {
        const start = Math.floor(random() * text.length);
        const end = start + Math.floor(random() * (text.length - start + 1));
        expect(counted.count(start, end), JSON.stringify(text.slice(start, end))).toBe(
          countTokens(text.slice(start, end)),
        );
        checked++;
      }
    }
    expect(checked).toBe(3000);
  });

  it("counts ranges of prose and Markdown the same way, however they are cut", () => {
    const text = Array.from({ length: 40 }, (_, i) =>
      i % 7 === 0 ? `## Part ${i}\n\n\`\`\`\ncode --flag\n\`\`\`` : prose(12, i),
    ).join("\n\n");
    const counted = countedText(text);
    for (let start = 0; start < text.length; start += 97) {
      for (const length of [1, 40, 500, 3000]) {
        const end = Math.min(text.length, start + length);
        expect(counted.count(start, end)).toBe(countTokens(text.slice(start, end)));
      }
    }
    expect(counted.count(5, 5)).toBe(0);
  });
});
