import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Plugin } from "esbuild";

const RESOLVING = "esm-opentelemetry";
const PACKAGE_ROOT = /^(.*[\\/]node_modules[\\/]@opentelemetry[\\/][^\\/]+)[\\/]/;

/**
 * Bundles OpenTelemetry's ES module builds instead of the CommonJS ones its packages `require` each
 * other by (`main`, or the `require` condition). esbuild cannot tree-shake CommonJS: the tracing SDK
 * would bring every signal's code (metrics, logs, protobuf) and all semantic conventions, about
 * 240 KiB more per bundle.
 */
export const esmOpenTelemetry: Plugin = {
  name: "esm-opentelemetry",
  setup(build) {
    build.onResolve({ filter: /^@opentelemetry\// }, async ({ path, resolveDir, pluginData }) => {
      if (pluginData === RESOLVING) return undefined;
      // As an import statement: packages with `exports` then answer with their ESM condition.
      const resolved = await build.resolve(path, {
        kind: "import-statement",
        resolveDir,
        pluginData: RESOLVING,
      });
      if (resolved.errors.length > 0) return { errors: resolved.errors };
      const root = PACKAGE_ROOT.exec(resolved.path)?.[1];
      if (!root) return { path: resolved.path, sideEffects: resolved.sideEffects };
      const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
        main?: string;
        module?: string;
        exports?: unknown;
      };
      const takesMain = !manifest.exports && manifest.main && resolved.path === join(root, manifest.main);
      const esm = takesMain && manifest.module ? join(root, manifest.module) : resolved.path;
      return { path: esm, sideEffects: resolved.sideEffects };
    });
  },
};
