import { afterAll, beforeAll, expect, it } from "vitest";
import { type JobWorker, startWorker } from "../../jobs/worker.ts";
import { startTestApp, type TestApp } from "../helpers/app.ts";
import { createTeam } from "../helpers/users.ts";
import { ARTICLE } from "./fixtures.ts";
import { accepted, submit, waitForAnalysis } from "./helpers.ts";

let t: TestApp;
let worker: JobWorker;
beforeAll(async () => {
  t = await startTestApp();
  worker = await startWorker(t.deps);
});
afterAll(async () => {
  await worker.stop();
  await t.close();
});

it("runs analyze:run in the production worker (its task list and default fetcher)", async () => {
  const { editor } = await createTeam(t.deps);
  const id = await accepted(await submit(t, editor.token, { text: ARTICLE }));
  const ready = await waitForAnalysis(t, editor.token, id, "ready");
  expect(ready.result?.method).toBe("extractive");
  expect(ready.artifact_url).not.toBeNull();
});
