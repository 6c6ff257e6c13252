import { readJson, type TestApp } from "../helpers/app.ts";

export interface SearchItemJson {
  document_id: string;
  document_name: string;
  chunk_id: string;
  chunk_idx: number;
  page: number | null;
  score: number;
  snippet: string;
}

export interface SearchPageJson {
  items: SearchItemJson[];
  next_cursor: string | null;
}

export interface ErrorJson {
  error: { code: string; message: string; details: Record<string, unknown> };
}

/** POST /api/rag/search; the status and the parsed body (a page, or the error envelope). */
export async function search(t: TestApp, token: string, body: unknown) {
  const res = await t.call("/api/rag/search", { method: "POST", token, json: body });
  return { status: res.status, body: await readJson<SearchPageJson & ErrorJson>(res) };
}

/** A search that must succeed: the page. */
export async function searchOk(t: TestApp, token: string, body: unknown): Promise<SearchPageJson> {
  const { status, body: page } = await search(t, token, body);
  if (status !== 200) throw new Error(`search answered ${status}: ${JSON.stringify(page)}`);
  return page;
}

export const MODES = ["hybrid", "vector", "lexical"] as const;
