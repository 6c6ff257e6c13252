import { blobKey } from "../blob/index.ts";

/**
 * A run's artifacts: the Markdown report (the row's `artifact_key`) and the JSON result beside it. Names
 * carry the run (job id), so a superseded run can never overwrite or delete the files of the run after it.
 */
export function artifactKeys(tenantId: string, analysisId: string, runTag: string) {
  return {
    report: blobKey(tenantId, "artifacts", analysisId, `report-${runTag}.md`),
    json: blobKey(tenantId, "artifacts", analysisId, `result-${runTag}.json`),
  };
}

/** The JSON artifact that goes with a report key. */
export function jsonArtifactKey(reportKey: string): string {
  return reportKey.replace(/\/report-([a-z0-9._-]+)\.md$/, "/result-$1.json");
}
