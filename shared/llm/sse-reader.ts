const LINE_END = /\r\n|\r|\n/;

/**
 * The `data` payloads of a text/event-stream body, one per event (multi-line data joined by "\n").
 * Comments, `event:`, `id:` and `retry:` fields are skipped: OpenAI-compatible servers put everything
 * in `data`. Stopping early cancels the body.
 */
export async function* sseData(body: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  const reader = body.getReader();
  let buffer = "";
  let data: string[] = [];
  let finished = false;
  const field = (line: string) => line.slice(line[5] === " " ? 6 : 5);
  try {
    while (!finished) {
      const { done, value } = await reader.read();
      finished = done;
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      for (let match = LINE_END.exec(buffer); match; match = LINE_END.exec(buffer)) {
        // A "\r" at the end may be the first half of a "\r\n" still on its way.
        if (match[0] === "\r" && match.index === buffer.length - 1 && !done) break;
        const line = buffer.slice(0, match.index);
        buffer = buffer.slice(match.index + match[0].length);
        if (line === "") {
          if (data.length > 0) yield data.join("\n");
          data = [];
        } else if (line.startsWith("data:")) {
          data.push(field(line));
        }
      }
    }
    // A last event without its blank line still counts.
    if (buffer.startsWith("data:")) data.push(field(buffer));
    if (data.length > 0) yield data.join("\n");
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
