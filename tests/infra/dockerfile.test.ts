import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../shared/net/free-port.ts";
import { dockerContextPaths } from "../smoke/image.ts";
import { COMPOSE_FILE, QUARRY_PROCESSES, readDeployFile, STACK_FILE } from "./deploy-files.ts";

interface Instruction {
  keyword: string;
  args: string;
}

/** The Dockerfile's instructions per stage (continuation lines joined, comments dropped). */
function stages(): { from: string; name: string; instructions: Instruction[] }[] {
  const text = readFileSync("Dockerfile", "utf8").replace(/\\\n\s*/g, "");
  const result: { from: string; name: string; instructions: Instruction[] }[] = [];
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith("#")) continue;
    const [keyword = "", ...rest] = trimmed.split(/\s+/);
    const args = rest.join(" ");
    if (keyword === "FROM") {
      const [from = "", , name = ""] = args.split(/\s+/);
      result.push({ from, name, instructions: [] });
    } else {
      result.at(-1)?.instructions.push({ keyword, args });
    }
  }
  return result;
}

const dockerfile = readFileSync("Dockerfile", "utf8");
const all = stages();
const build = all.find((stage) => stage.name === "build");
const runtime = all.at(-1);
const args = (stage: typeof runtime, keyword: string) =>
  (stage?.instructions ?? []).filter((i) => i.keyword === keyword).map((i) => i.args);
const healthcheckCommand = (): string[] => {
  const line = args(runtime, "HEALTHCHECK")[0] ?? "";
  return JSON.parse(line.slice(line.indexOf("CMD ") + 4)) as string[];
};

describe("Dockerfile", () => {
  it("builds on a current even-numbered (LTS) Node line, slim variant, in both stages", () => {
    const image = dockerfile.match(/^ARG NODE_IMAGE=(\S+)$/m)?.[1] ?? "";
    const [, major, variant] = image.match(/^node:(\d+)-(bookworm|trixie)-slim$/) ?? [];
    expect(image).toMatch(/-slim$/);
    expect(Number(major) % 2).toBe(0);
    expect(Number(major)).toBeGreaterThanOrEqual(22);
    expect(variant).toBeDefined();
    expect(all.map((stage) => stage.name)).toEqual(["build", "runtime"]);
    for (const stage of all) expect(stage.from).toMatch(/^\$\{NODE_IMAGE\}$/);
  });

  it("installs with npm ci and builds the bundles in the build stage, from paths the build context holds", () => {
    expect(args(build, "RUN").join("\n")).toMatch(/npm ci\b/);
    expect(args(build, "RUN").join("\n")).toContain("npx tsx bin/build.ts");
    const context = dockerContextPaths();
    for (const copy of args(build, "COPY")) {
      const sources = copy.split(/\s+/).slice(0, -1);
      for (const source of sources) expect(context, source).toContain(source.replace(/^\.\//, ""));
    }
    for (const path of context) expect(existsSync(path), path).toBe(true);
    expect(context).not.toContain("node_modules");
    expect(context).not.toContain("dist");
  });

  it("ships only the bundles in the final stage: no npm, no node_modules, no sources", () => {
    expect(args(runtime, "RUN").join("\n")).not.toMatch(/\bnpm\b|\bnpx\b/);
    const copies = args(runtime, "COPY");
    expect(copies).toEqual(["--from=build /src/dist/*.mjs /src/dist/openapi.json ./dist/"]);
  });

  it("runs as a non-root user with container defaults, the command choosing the bundle", () => {
    const user = args(runtime, "USER").at(-1);
    expect(user).toBeDefined();
    expect(["root", "0"]).not.toContain(user);
    const env = args(runtime, "ENV").join(" ");
    expect(env).toContain("NODE_ENV=production");
    expect(env).toContain("HOST=0.0.0.0");
    expect(env).toContain("PORT=8080");
    const cmd = JSON.parse(args(runtime, "CMD")[0] ?? "[]") as string[];
    expect(cmd).toEqual(["node", "dist/ops.mjs"]);
    const userIndex = runtime?.instructions.findIndex((i) => i.keyword === "USER") ?? -1;
    const cmdIndex = runtime?.instructions.findIndex((i) => i.keyword === "CMD") ?? -1;
    expect(userIndex).toBeGreaterThanOrEqual(0);
    expect(userIndex).toBeLessThan(cmdIndex);
  });

  it("uses the same health check as stack.yml and the compose file", () => {
    const command = healthcheckCommand();
    for (const file of [STACK_FILE, COMPOSE_FILE]) {
      const services = readDeployFile(file).services;
      for (const name of QUARRY_PROCESSES) {
        expect(services[name]?.healthcheck?.test, `${file}: ${name}`).toEqual(["CMD", ...command]);
      }
    }
  });

  describe("its HEALTHCHECK command", () => {
    let server: Server;
    let status = 200;
    beforeAll(async () => {
      server = createServer((req, res) => {
        res.writeHead(req.url === "/healthz" ? status : 404).end();
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    /** Exit code of the command (asynchronously: the stand-in answers from this process). */
    const run = (port: number) =>
      new Promise<number | null>((resolve) => {
        const [bin = "", ...rest] = healthcheckCommand();
        const executable = bin === "node" ? process.execPath : bin;
        spawn(executable, rest, { env: { PORT: String(port) }, timeout: 10_000 }).on("close", resolve);
      });

    it("exits 0 when /healthz on $PORT answers 200, 1 when it answers 503 or nothing listens", async () => {
      const port = (server.address() as AddressInfo).port;
      status = 200;
      expect(await run(port)).toBe(0);
      status = 503;
      expect(await run(port)).toBe(1);
      expect(await run(await freePort())).toBe(1);
    });
  });
});
