import { addChatCompletions, type ChatScript } from "../tests/helpers/chat-stand-in.ts";
import { sendJson, startModelServer } from "../tests/helpers/model-server.ts";

/**
 * The stand-in model server as its own process, so that neither Quarry nor the bench's clients share
 * its event loop. `POST /v1/bench/script` sets the script every following answer follows. Prints its
 * base URL on the first line of stdout.
 */
const server = await startModelServer();
const model = addChatCompletions(server);
server.route("POST", "/v1/bench/script", ({ res, body }) => {
  model.defaults = body as ChatScript;
  // Requests are recorded for tests; a bench run would keep every one in memory.
  server.clear();
  sendJson(res, 200, { ok: true });
});
process.stdout.write(`${server.url}\n`);
process.on("SIGTERM", () => {
  void server.close().then(() => process.exit(0));
});
