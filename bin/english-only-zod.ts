import { join } from "node:path";
import type { Plugin } from "esbuild";

const NAMESPACE = "english-only-zod";

/**
 * Bundles zod's English messages only. zod exports every locale through its `locales` namespace object,
 * which esbuild cannot tree-shake: about 40 locales, 258 KiB of each bundle that nothing reads (Quarry's
 * validation errors are English, the locale zod configures by default).
 */
export const englishOnlyZod: Plugin = {
  name: NAMESPACE,
  setup(build) {
    build.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, ({ importer, resolveDir }) =>
      /[\\/]node_modules[\\/]zod[\\/]/.test(importer)
        ? { path: join(resolveDir, "../locales/en.js"), namespace: NAMESPACE }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: NAMESPACE }, ({ path }) => ({
      contents: `export { default as en } from ${JSON.stringify(path)};`,
      resolveDir: join(path, ".."),
    }));
  },
};
