import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { sql } from "kysely";
import type { Deps } from "../../../shared/deps.ts";
import { readJson, type TestApp } from "../../helpers/app.ts";

export const sha256 = (bytes: Uint8Array | string) => createHash("sha256").update(bytes).digest("hex");

/** A part of a multipart body: a field (string) or a file (bytes + file name), in this order. */
export type Part =
  | [name: string, value: string]
  | [name: string, bytes: Uint8Array | string, filename: string];

export function form(parts: Part[]): FormData {
  const data = new FormData();
  for (const [name, value, filename] of parts) {
    if (filename === undefined) data.append(name, value as string);
    else data.append(name, new Blob([value]), filename);
  }
  return data;
}

export function upload(t: TestApp, token: string, parts: Part[], headers: Record<string, string> = {}) {
  return t.call("/api/rag/upload", { method: "POST", token, body: form(parts), headers });
}

export interface DocumentJson {
  id: string;
  name: string;
  status: string;
  mime: string | null;
  size_bytes: number | null;
  content_hash: string | null;
  tags: string[];
  error: string | null;
  stage_timestamps: Record<string, unknown>;
  uploaded_by: string | null;
  created_at: string;
  updated_at: string;
}

export interface ErrorJson {
  error: { code: string; message: string; details: Record<string, unknown> };
}

/** Uploads a small text file and returns the created document (asserting the 201). */
export async function uploadText(t: TestApp, token: string, text: string, extra: Part[] = []) {
  const res = await upload(t, token, [...extra, ["file", text, "note.txt"]]);
  if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${await res.text()}`);
  return readJson<DocumentJson>(res);
}

/** Every file under the blob store's directory (temporary files included). */
export async function blobFiles(deps: Deps): Promise<string[]> {
  try {
    const entries = await readdir(join(deps.config.DATA_DIR, "blobs"), {
      recursive: true,
      withFileTypes: true,
    });
    return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
  } catch {
    return [];
  }
}

/** The graphile-worker jobs under a document's pipeline key. */
export async function jobsOf(deps: Deps, documentId: string) {
  const result = await sql<{ task_identifier: string; max_attempts: number }>`
    select task_identifier, max_attempts from graphile_worker.jobs where key = ${`ingest:${documentId}`}
  `.execute(deps.db);
  return result.rows;
}

export async function documentRow(deps: Deps, id: string) {
  return deps.db.selectFrom("documents").selectAll().where("id", "=", id).executeTakeFirst();
}

export async function setStatus(deps: Deps, id: string, status: "failed" | "ready" | "canceled") {
  await deps.db.updateTable("documents").set({ status }).where("id", "=", id).execute();
}
