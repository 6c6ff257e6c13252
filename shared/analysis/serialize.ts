import type { AnalysisJob, AnalysisResult, AnalysisSource } from "./types.ts";

function sourceView(source: AnalysisSource) {
  const size = source.kind === "url" ? (source.fetched?.size_bytes ?? null) : source.size_bytes;
  return {
    kind: source.kind,
    name: source.name,
    ...(source.kind === "url" ? { url: source.url } : {}),
    size_bytes: size,
  };
}

/** An analysis in a list: everything but the result and the download links. */
export function analysisSummaryView(job: AnalysisJob) {
  return {
    id: job.id,
    status: job.status,
    progress: job.progress,
    source: sourceView(job.source as AnalysisSource),
    params: job.params,
    error: job.error,
    created_by: job.created_by,
    created_at: job.created_at.toISOString(),
    updated_at: job.updated_at.toISOString(),
  };
}

/** One analysis as the API shows it; the links are signed by the caller (storage keys stay internal). */
export function analysisView(job: AnalysisJob, links: { report: string | null; json: string | null }) {
  return {
    ...analysisSummaryView(job),
    result: (job.result as AnalysisResult | null) ?? null,
    artifact_url: links.report,
    artifact_json_url: links.json,
  };
}
