import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";

/** The paths `.dockerignore` lets into the build context (it is an allow-list: `*`, then `!path` lines). */
export function dockerContextPaths(): string[] {
  const lines = readFileSync(".dockerignore", "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith("#"));
  if (lines[0] !== "*") throw new Error(".dockerignore must start with `*` (an allow-list)");
  return lines.slice(1).map((line) => {
    if (!line.startsWith("!")) throw new Error(`.dockerignore: expected !<path>, got ${line}`);
    return line.slice(1).replace(/\/$/, "");
  });
}

/**
 * Does what the Dockerfile's build stage does, on what the Docker build context would hold: copies the
 * allow-listed paths into `dir`, links node_modules (the stage's `npm ci`) and runs bin/build.ts there.
 * Returns the dist directory it produced.
 */
export function buildLikeTheImage(dir: string): string {
  for (const path of dockerContextPaths()) cpSync(path, join(dir, path), { recursive: true });
  symlinkSync(resolve("node_modules"), join(dir, "node_modules"), "dir");
  execFileSync(process.execPath, [resolve("node_modules/tsx/dist/cli.mjs"), "bin/build.ts"], {
    cwd: dir,
    stdio: "pipe",
    env: { ...process.env, NODE_ENV: "production" },
  });
  return join(dir, "dist");
}

/**
 * The final stage's files: what its `COPY --from=build /src/dist/… ./dist/` takes (the patterns are read from
 * the Dockerfile), copied to `app/dist` with nothing else around, no node_modules in particular.
 */
export function runtimeLayout(dist: string, app: string): string[] {
  const dockerfile = readFileSync("Dockerfile", "utf8");
  const copy = dockerfile.match(/^COPY --from=build (.+) \.\/dist\/$/m)?.[1];
  if (!copy) throw new Error("Dockerfile: no `COPY --from=build … ./dist/` line in the final stage");
  const patterns = copy.split(/\s+/).map((source) => {
    const name = source.replace(/^\/src\/dist\//, "");
    return new RegExp(`^${name.replace(/\./g, "\\.").replace(/\*/g, "[^/]*")}$`);
  });
  const target = join(app, "dist");
  mkdirSync(target, { recursive: true });
  const copied = readdirSync(dist).filter((file) => patterns.some((pattern) => pattern.test(file)));
  for (const file of copied) cpSync(join(dist, file), join(target, file));
  return copied;
}
