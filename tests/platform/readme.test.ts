import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { configSchema } from "../../shared/config/index.ts";

const readme = readFileSync("README.md", "utf8");

describe("README", () => {
  it("documents every configuration variable in its table", () => {
    const missing = Object.keys(configSchema.shape).filter(
      (name) => !new RegExp(`^\\| \`${name}\` +\\|`, "m").test(readme),
    );
    expect(missing).toEqual([]);
  });

  it("keeps the two-command quick start", () => {
    expect(readme).toContain("npm start");
    expect(readme).toContain("npm test");
  });
});
