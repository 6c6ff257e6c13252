import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import { createHttpMetrics } from "../../shared/http-metrics.ts";

function scrape(registry: Registry): Promise<string[]> {
  return registry.metrics().then((text) => text.split("\n"));
}

describe("HTTP request metrics", () => {
  it("counts requests and buckets durations cumulatively, per route template, method and status", async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ function: "auth" });
    const http = createHttpMetrics(registry);
    http.record("/api/auth/me", "GET", 200, 0.25); // on a bucket's bound: counted in that bucket
    http.record("/api/auth/me", "GET", 200, 0.5);
    http.record("/api/auth/me", "GET", 401, 0.0002);
    http.record("/api/rag/{id}", "DELETE", 202, 12);

    const lines = await scrape(registry);
    const me = 'route="/api/auth/me",method="GET",status="200"';
    expect(lines).toContain("# TYPE http_requests_total counter");
    expect(lines).toContain(`http_requests_total{${me},function="auth"} 2`);
    expect(lines).toContain(
      'http_requests_total{route="/api/auth/me",method="GET",status="401",function="auth"} 1',
    );
    expect(lines).toContain("# TYPE http_request_duration_seconds histogram");
    const bucket = (le: string) => `http_request_duration_seconds_bucket{${me},le="${le}",function="auth"}`;
    expect(lines).toContain(`${bucket("0.1")} 0`);
    expect(lines).toContain(`${bucket("0.25")} 1`);
    expect(lines).toContain(`${bucket("0.5")} 2`);
    expect(lines).toContain(`${bucket("10")} 2`);
    expect(lines).toContain(`${bucket("+Inf")} 2`);
    expect(lines).toContain(`http_request_duration_seconds_sum{${me},function="auth"} 0.75`);
    expect(lines).toContain(`http_request_duration_seconds_count{${me},function="auth"} 2`);
    // Over the largest bucket: only +Inf holds it.
    const slow = 'route="/api/rag/{id}",method="DELETE",status="202"';
    expect(lines).toContain(`http_request_duration_seconds_bucket{${slow},le="10",function="auth"} 0`);
    expect(lines).toContain(`http_request_duration_seconds_bucket{${slow},le="+Inf",function="auth"} 1`);
  });
});
