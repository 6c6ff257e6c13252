import { describe, expect, it } from "vitest";
import { mapReduce } from "../../shared/analysis/map-reduce.ts";
import type { CompletionEvent, CompletionRequest, LanguageModel } from "../../shared/llm/port.ts";

/** A model answering from a function of the request, recording every request. */
function fakeModel(answer: (request: CompletionRequest) => string) {
  const requests: CompletionRequest[] = [];
  const llm: LanguageModel = {
    kind: "openai-compatible",
    model: "fake",
    async *stream(request): AsyncIterable<CompletionEvent> {
      requests.push(request);
      yield { type: "delta", text: answer(request) };
      yield { type: "done", finishReason: "stop", usage: { tokensIn: 10, tokensOut: 5 } };
    },
  };
  return { llm, requests };
}

const system = (r: CompletionRequest) => r.messages[0]?.content ?? "";
const FINAL = JSON.stringify({ summary: "All parts read.", key_points: ["p"] });

describe("mapReduce", () => {
  it("merges notes in rounds when they do not fit one final prompt", async () => {
    const longNote = "fact ".repeat(2500);
    const { llm, requests } = fakeModel((r) =>
      system(r).startsWith("You read one part")
        ? longNote
        : system(r).startsWith("You merge")
          ? "- merged"
          : FINAL,
    );
    const progress: [number, number][] = [];
    const { answer, usage } = await mapReduce({
      llm,
      chunks: Array.from({ length: 6 }, (_, i) => `chunk ${i}`),
      params: {},
      validate: null,
      afterChunk: async (done, total) => {
        progress.push([done, total]);
      },
    });
    expect(answer).toEqual({ summary: "All parts read.", key_points: ["p"], data: null });
    const kinds = requests.map((r) => system(r).slice(0, 12));
    expect(kinds.filter((k) => k.startsWith("You read one"))).toHaveLength(6);
    // 6 notes of ~2500 tokens, at most 6000 tokens a batch: 3 merge calls, then the final answer.
    expect(kinds.filter((k) => k.startsWith("You merge"))).toHaveLength(3);
    expect(kinds.at(-1)).toBe("You write th");
    expect(requests.at(-1)?.messages[1]?.content).toContain("Notes on part 3:\n- merged");
    expect(progress).toEqual([1, 2, 3, 4, 5, 6].map((done) => [done, 6]));
    expect(usage).toEqual({ calls: 10, tokens_in: 100, tokens_out: 50 });
  });

  it("stops between chunks when afterChunk throws", async () => {
    const { llm, requests } = fakeModel(() => "- note");
    const stop = new Error("canceled");
    await expect(
      mapReduce({
        llm,
        chunks: ["a", "b", "c", "d"],
        params: {},
        validate: null,
        afterChunk: async (done) => {
          if (done === 2) throw stop;
        },
      }),
    ).rejects.toBe(stop);
    expect(requests).toHaveLength(2);
  });
});
