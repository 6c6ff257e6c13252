import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

export interface TestS3Server {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: "S3RVER";
  secretAccessKey: "S3RVER";
  /** The S3_* settings that point Quarry at this server. */
  quarryEnv: Record<string, string>;
  close(): Promise<void>;
}

/**
 * s3rver runs in a child process of its own, started with --openssl-legacy-provider: it encodes
 * listing continuation tokens with DES, which OpenSSL 3 only offers through the legacy provider, and
 * a flag in NODE_OPTIONS only reaches a process when it starts. The child exits when our stdin pipe
 * closes, so a crashed test run leaves no server behind.
 */
const CHILD_SCRIPT = `
const S3rver = require(process.env.S3RVER_MODULE);
const server = new S3rver({
  address: "127.0.0.1",
  port: 0,
  silent: true,
  directory: process.env.S3RVER_DIRECTORY,
  configureBuckets: [{ name: process.env.S3RVER_BUCKET }],
});
server.run().then(
  (address) => process.stdout.write(JSON.stringify({ port: address.port }) + "\\n"),
  (error) => { console.error(error); process.exit(1); },
);
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
`;

function waitForPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once("exit", (code) => reject(new Error(`s3rver exited with code ${code}: ${stderr}`)));
    if (!child.stdout) return reject(new Error("s3rver has no stdout"));
    createInterface({ input: child.stdout }).once("line", (line) => {
      resolve((JSON.parse(line) as { port: number }).port);
    });
  });
}

/** Starts s3rver on 127.0.0.1 (free port, temp directory, silent) with `bucket` created. */
export async function startS3Server(bucket = "quarry-test"): Promise<TestS3Server> {
  const directory = mkdtempSync(join(tmpdir(), "quarry-s3rver-"));
  const child = spawn(process.execPath, ["--openssl-legacy-provider", "-e", CHILD_SCRIPT], {
    env: {
      PATH: process.env.PATH,
      S3RVER_MODULE: createRequire(import.meta.url).resolve("s3rver"),
      S3RVER_DIRECTORY: directory,
      S3RVER_BUCKET: bucket,
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let port: number;
  try {
    port = await waitForPort(child);
  } catch (error) {
    child.kill();
    rmSync(directory, { recursive: true, force: true });
    throw error;
  }
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint,
    bucket,
    region: "us-east-1",
    accessKeyId: "S3RVER",
    secretAccessKey: "S3RVER",
    quarryEnv: {
      S3_ENDPOINT: endpoint,
      S3_BUCKET: bucket,
      S3_REGION: "us-east-1",
      S3_ACCESS_KEY_ID: "S3RVER",
      S3_SECRET_ACCESS_KEY: "S3RVER",
    },
    async close() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.stdin?.end();
        await exited;
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
