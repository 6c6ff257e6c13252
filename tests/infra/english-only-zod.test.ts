import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, describe, expect, it } from "vitest";
import { englishOnlyZod } from "../../bin/english-only-zod.ts";

describe("the build's English-only zod", () => {
  const dir = mkdtempSync(join(tmpdir(), "quarry-zod-build-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function bundle(plugins: (typeof englishOnlyZod)[]): Promise<string> {
    const entry = join(process.cwd(), "tests/fixtures/zod-message.ts");
    const outfile = join(dir, `out-${plugins.length}.mjs`);
    await build({ entryPoints: [entry], outfile, bundle: true, platform: "node", format: "esm", plugins });
    return outfile;
  }

  it("drops the other locales and keeps zod's English messages", async () => {
    const [plain, english] = [await bundle([]), await bundle([englishOnlyZod])];
    expect(readFileSync(plain, "utf8")).toContain("Nieprawid");
    expect(readFileSync(english, "utf8")).not.toContain("Nieprawid");
    expect(readFileSync(english, "utf8").length).toBeLessThan(readFileSync(plain, "utf8").length - 200_000);
    expect(execFileSync(process.execPath, [english], { encoding: "utf8" }).trim()).toBe(
      "Invalid input: expected string, received number",
    );
  });
});
