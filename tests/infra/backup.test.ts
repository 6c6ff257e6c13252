import { execFileSync, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../helpers/database.ts";

const SCRIPTS = "infra/backup";
/** The restore command of the README's "Backup and restore" procedure (without its docker wrapper). */
const RESTORE_FLAGS = ["--clean", "--if-exists", "--no-owner", "--no-privileges", "--exit-on-error"];
const has = (tool: string) => spawnSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" }).status === 0;

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "quarry-backup-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a script asynchronously (the stand-in servers answer from this same process). */
function runScript(script: string, env: Record<string, string>) {
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn("sh", [join(SCRIPTS, script)], {
      env: { PATH: process.env.PATH ?? "", BACKUP_DIR: join(dir, "backups"), ...env },
      timeout: 60_000,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

it("every backup script is valid POSIX sh", () => {
  for (const file of readdirSync(SCRIPTS).filter((name) => name.endsWith(".sh"))) {
    const result = spawnSync("sh", ["-n", join(SCRIPTS, file)], { encoding: "utf8" });
    expect(result.stderr, file).toBe("");
    expect(result.status, file).toBe(0);
  }
});

it("the README's restore procedure uses the flags tested here", () => {
  expect(readFileSync("README.md", "utf8")).toContain(`pg_restore ${RESTORE_FLAGS.join(" ")}`);
});

describe.skipIf(!has("pg_dump") || !has("pg_restore"))("pg-dump.sh", () => {
  let source: TestDatabase;
  let target: TestDatabase;
  beforeAll(async () => {
    source = await createTestDatabase();
    target = await createTestDatabase();
  });
  afterAll(async () => {
    await source?.drop();
    await target?.drop();
  });

  it("dumps the database (secret from a file), and the README's restore brings the rows back", async () => {
    const slug = `backup-${randomBytes(3).toString("hex")}`;
    await query(source.url, "insert into tenants (slug, name) values ($1, 'Backed up')", [slug]);
    const secret = join(dir, "database_url");
    writeFileSync(secret, source.url);
    const old = join(dir, "backups", "postgres", "quarry-20000101T000000Z.dump");
    mkdirSync(join(dir, "backups", "postgres"), { recursive: true });
    writeFileSync(old, "");
    utimesSync(old, new Date("2000-01-01"), new Date("2000-01-01"));

    const result = await runScript("pg-dump.sh", { DATABASE_URL_FILE: secret, KEEP_DAYS: "14" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const dumps = readdirSync(join(dir, "backups", "postgres"));
    expect(dumps).toHaveLength(1);
    expect(dumps[0]).toMatch(/^quarry-\d{8}T\d{6}Z\.dump$/);

    // The target already has the schema and other rows: --clean replaces them with the dump's.
    await query(target.url, "insert into tenants (slug, name) values ('not-in-the-dump', 'Gone')");
    execFileSync(
      "pg_restore",
      [...RESTORE_FLAGS, `--dbname=${target.url}`, join(dir, "backups", "postgres", dumps[0] ?? "")],
      {
        stdio: "pipe",
      },
    );
    const slugs = (await query<{ slug: string }>(target.url, "select slug from tenants")).map(
      (row) => row.slug,
    );
    expect(slugs).toContain(slug);
    expect(slugs).not.toContain("not-in-the-dump");
    const jobs = await query<{ n: number }>(
      target.url,
      "select count(*)::int as n from information_schema.schemata where schema_name = 'graphile_worker'",
    );
    expect(jobs[0]?.n).toBe(1);
  });

  it("fails without leaving a partial dump when the database cannot be reached, and without a URL", async () => {
    const unreachable = await runScript("pg-dump.sh", { DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" });
    expect(unreachable.status).not.toBe(0);
    expect(readdirSync(join(dir, "backups", "postgres"))).toEqual([]);
    const missing = await runScript("pg-dump.sh", {});
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain("DATABASE_URL");
  });
});

/** A Qdrant stand-in with the snapshot endpoints the script calls; `failSnapshots` answers 500 to them. */
async function startQdrantStub(collections: string[]) {
  const requests: { method: string; url: string; apiKey: string | undefined }[] = [];
  const snapshots = new Map<string, string>();
  let failSnapshots = false;
  const server: Server = createServer((req: IncomingMessage, res) => {
    requests.push({
      method: req.method ?? "",
      url: req.url ?? "",
      apiKey: req.headers["api-key"] as string | undefined,
    });
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
    };
    const url = new URL(req.url ?? "/", "http://qdrant");
    const match = url.pathname.match(/^\/collections\/([\w.-]+)\/snapshots(?:\/([\w.-]+))?$/);
    if (req.method === "GET" && url.pathname === "/collections") {
      return json(200, {
        result: { collections: collections.map((name) => ({ name })) },
        status: "ok",
        time: 0,
      });
    }
    if (match && req.method === "POST" && !match[2]) {
      if (failSnapshots) return json(500, { status: { error: "disk full" } });
      const name = `${match[1]}-${snapshots.size}.snapshot`;
      snapshots.set(name, `snapshot of ${match[1]}`);
      return json(200, { result: { name, creation_time: "2026-01-01T00:00:00", size: 10 }, status: "ok" });
    }
    if (match?.[2] && req.method === "GET" && snapshots.has(match[2])) {
      res.writeHead(200, { "content-type": "application/octet-stream" }).end(snapshots.get(match[2]));
      return;
    }
    if (match?.[2] && req.method === "DELETE" && snapshots.delete(match[2])) {
      return json(200, { result: true, status: "ok" });
    }
    json(404, { status: { error: "not found" } });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    remaining: () => [...snapshots.keys()],
    failSnapshots: () => {
      failSnapshots = true;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe.skipIf(!has("curl"))("qdrant-snapshot.sh", () => {
  it("downloads a snapshot of every collection, with the API key, and removes it from the server", async () => {
    const qdrant = await startQdrantStub(["hashing-v1", "bge-small"]);
    try {
      const key = join(dir, "qdrant_api_key");
      writeFileSync(key, "secret-key\n");
      const result = await runScript("qdrant-snapshot.sh", {
        QDRANT_URL: qdrant.url,
        QDRANT_API_KEY_FILE: key,
      });
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
      const [stamp, ...others] = readdirSync(join(dir, "backups", "qdrant"));
      expect(others).toEqual([]);
      expect(stamp).toMatch(/^\d{8}T\d{6}Z$/);
      const folder = join(dir, "backups", "qdrant", stamp ?? "");
      expect(readdirSync(folder).sort()).toEqual(["bge-small.snapshot", "hashing-v1.snapshot"]);
      expect(readFileSync(join(folder, "hashing-v1.snapshot"), "utf8")).toBe("snapshot of hashing-v1");
      expect(qdrant.remaining()).toEqual([]);
      expect(qdrant.requests.every((request) => request.apiKey === "secret-key")).toBe(true);
      expect(qdrant.requests.filter((r) => r.method === "POST").map((r) => r.url)).toEqual([
        "/collections/hashing-v1/snapshots?wait=true",
        "/collections/bge-small/snapshots?wait=true",
      ]);
    } finally {
      await qdrant.close();
    }
  });

  it("fails, keeping no half-made backup, when Qdrant refuses a snapshot", async () => {
    const qdrant = await startQdrantStub(["hashing-v1"]);
    qdrant.failSnapshots();
    try {
      const result = await runScript("qdrant-snapshot.sh", { QDRANT_URL: qdrant.url });
      expect(result.status).not.toBe(0);
      expect(readdirSync(join(dir, "backups", "qdrant"))).toEqual([]);
    } finally {
      await qdrant.close();
    }
  });
});

describe("object-store-copy.sh", () => {
  it("refuses to run without credentials", async () => {
    const result = await runScript("object-store-copy.sh", { S3_BUCKET: "quarry" });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain("S3_ACCESS_KEY_ID");
    expect(existsSync(join(dir, "backups", "objects"))).toBe(false);
  });
  if (!has("mc"))
    console.warn(
      "\n⚠️  the MinIO client (mc) is not installed: object-store-copy.sh's copy is not run here\n",
    );
});
