import type { DocumentStatus } from "../../db/types.ts";
import { type JobWorker, startWorker } from "../../jobs/worker.ts";
import { signAccessToken } from "../../shared/auth/jwt.ts";
import type { ContentDeps } from "../../shared/content-deps.ts";
import { readJson, type TestApp } from "./app.ts";

export interface TestWorker {
  /** Stops the worker (waits for running jobs) and forgets it. */
  stop(): Promise<void>;
}

const running = new Set<JobWorker>();

/** How many workers started here are still running: assert 0 after each test file. */
export function runningWorkers(): number {
  return running.size;
}

/**
 * The real worker (jobs/worker.ts) on a TestApp's deps, so its metrics land in the app's /metrics.
 * `overrides` replace ports for fault injection (a wrapped vector index, an embedder).
 */
export async function startTestWorker(t: TestApp, overrides: Partial<ContentDeps> = {}): Promise<TestWorker> {
  const worker = await startWorker({ ...t.deps, ...overrides });
  running.add(worker);
  return {
    async stop() {
      if (!running.delete(worker)) return;
      await worker.stop();
    },
  };
}

export interface DocumentJson {
  id: string;
  name: string;
  status: DocumentStatus;
  mime: string | null;
  size_bytes: number | null;
  content_hash: string | null;
  tags: string[];
  error: string | null;
  embedding_model: string | null;
  stage_timestamps: Record<string, { started_at?: string; ended_at?: string }>;
}

const TERMINAL: DocumentStatus[] = ["ready", "failed", "canceled"];
const tokens = new Map<string, string>();

/** A token of the user who uploaded the document (GET needs one of its tenant). */
async function uploaderToken(deps: ContentDeps, documentId: string): Promise<string> {
  const cached = tokens.get(documentId);
  if (cached) return cached;
  const user = await deps.db
    .selectFrom("documents as d")
    .innerJoin("users as u", "u.id", "d.uploaded_by")
    .select(["u.id", "u.tenant_id", "u.role", "u.token_version"])
    .where("d.id", "=", documentId)
    .executeTakeFirst();
  if (!user) throw new Error(`document ${documentId} not found (or has no uploader)`);
  const token = await signAccessToken(
    deps.keys,
    { issuer: deps.config.JWT_ISSUER, audience: deps.config.JWT_AUDIENCE, ttlSeconds: 900 },
    { userId: user.id, tenantId: user.tenant_id, role: user.role, tokenVersion: user.token_version },
  );
  tokens.set(documentId, token);
  return token;
}

/**
 * Polls GET /api/rag/{id} until the document has `status`. Fails at once when it settles in another
 * terminal status (ready, failed, canceled), with its error, and after `timeoutMs` with the last status.
 */
export async function waitForStatus(
  t: TestApp,
  id: string,
  status: DocumentStatus,
  timeoutMs = 20_000,
): Promise<DocumentJson> {
  const token = await uploaderToken(t.deps, id);
  const deadline = Date.now() + timeoutMs;
  let last: DocumentJson | undefined;
  // Quick at first (most stages take milliseconds), then gentler: the route is rate limited per user.
  let pause = 20;
  for (;;) {
    const res = await t.call(`/api/rag/${id}`, { token });
    if (res.status !== 200) throw new Error(`GET /api/rag/${id}: ${res.status} ${await res.text()}`);
    last = await readJson<DocumentJson>(res);
    if (last.status === status) return last;
    if (TERMINAL.includes(last.status)) {
      throw new Error(`document ${id} ended ${last.status} (error: ${last.error}), expected ${status}`);
    }
    if (Date.now() > deadline) {
      throw new Error(`document ${id} still ${last.status} after ${timeoutMs} ms, expected ${status}`);
    }
    await new Promise((resolve) => setTimeout(resolve, pause));
    pause = Math.min(pause * 1.5, 250);
  }
}

/** Polls GET /api/rag/{id} until it answers 404 (the delete job removed the row). */
export async function waitForGone(t: TestApp, id: string, token: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await t.call(`/api/rag/${id}`, { token });
    await res.body?.cancel();
    if (res.status === 404) return;
    if (Date.now() > deadline) throw new Error(`document ${id} still there after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
