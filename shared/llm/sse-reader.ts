const LINE_END = /\r\n|\r|\n/;

/**
 * The `data` payloads of a text/event-stream body, one per event (multi-line data joined by "\n").
 * Comments, `event:`, `id:` and `retry:` fields are skipped: OpenAI-compatible servers put everything
 * in `data`. Stopping early closes the body (its iterator's `return`).
 */
export async function* sseData(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  let data: string[] = [];
  const field = (line: string) => line.slice(line[5] === " " ? 6 : 5);
  /** Takes the complete lines off `buffer`; returns the events they end. */
  const events = (done: boolean): string[] => {
    const ended: string[] = [];
    for (let match = LINE_END.exec(buffer); match; match = LINE_END.exec(buffer)) {
      // A "\r" at the end may be the first half of a "\r\n" still on its way.
      if (match[0] === "\r" && match.index === buffer.length - 1 && !done) break;
      const line = buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
      if (line === "") {
        if (data.length > 0) ended.push(data.join("\n"));
        data = [];
      } else if (line.startsWith("data:")) {
        data.push(field(line));
      }
    }
    return ended;
  };
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    for (const event of events(false)) yield event;
  }
  buffer += decoder.decode();
  for (const event of events(true)) yield event;
  // A last event without its blank line still counts.
  if (buffer.startsWith("data:")) data.push(field(buffer));
  if (data.length > 0) yield data.join("\n");
}
