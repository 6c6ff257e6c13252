import { execFileSync } from "node:child_process";
import { benchAuth } from "./auth.ts";
import { benchChat } from "./chat.ts";
import { benchColdStart } from "./cold-start.ts";
import { benchIngest } from "./ingest.ts";
import { benchRetrievalQuality } from "./retrieval/index.ts";
import { benchSearch } from "./search.ts";

/** `npm run bench [-- name…]`: builds the bundles, then runs the named benchmarks (all by default). */
const BENCHES: Record<string, () => Promise<void>> = {
  auth: benchAuth,
  chat: benchChat,
  "cold-start": benchColdStart,
  ingest: benchIngest,
  retrieval: benchRetrievalQuality,
  search: benchSearch,
};

const wanted = process.argv.slice(2).filter((arg) => arg !== "--");
const unknown = wanted.filter((name) => !(name in BENCHES));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown bench: ${unknown.join(", ")}; choose from ${Object.keys(BENCHES).join(", ")}\n`,
  );
  process.exit(2);
}
execFileSync("npx", ["tsx", "bin/build.ts"], { stdio: "inherit" });
for (const name of wanted.length > 0 ? wanted : Object.keys(BENCHES)) {
  await BENCHES[name]?.();
}
