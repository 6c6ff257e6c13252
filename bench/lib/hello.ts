import { build } from "esbuild";

/** Bundles the bare Hono hello server (the baseline) to dist/bench-hello.mjs, as the functions are bundled. */
export async function buildHelloServer(): Promise<string> {
  const outfile = "dist/bench-hello.mjs";
  await build({
    entryPoints: ["bench/hello-server.ts"],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    minify: true,
  });
  return outfile;
}
