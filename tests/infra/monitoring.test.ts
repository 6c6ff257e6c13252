import { execFileSync, spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { COMPOSE_FILE, networksOf, QUARRY_PROCESSES, readDeployFile, STACK_FILE } from "./deploy-files.ts";
import { alertRules, metricNamesIn, metricsUsedByAlerts } from "./monitoring.ts";

const PROMETHEUS = "infra/prometheus/prometheus.yml";
const ALERTS = "infra/prometheus/alerts.yml";
const DASHBOARD = "infra/grafana/dashboard.json";

interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  dns_sd_configs?: { names: string[]; type: string; port: number }[];
}
const prometheus = parse(readFileSync(PROMETHEUS, "utf8")) as {
  rule_files: string[];
  scrape_configs: ScrapeConfig[];
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.(ts|js)$/.test(entry.name) ? [path] : [];
  });
}

/** Every metric name defined in Quarry's code or by prom-client's default metrics. */
const defined = (() => {
  const files = [
    ...["shared", "jobs", "functions"].flatMap(sourceFiles),
    ...sourceFiles("node_modules/prom-client/lib/metrics"),
  ];
  const text = files.map((file) => readFileSync(file, "utf8")).join("\n");
  return new Set([...text.matchAll(/["'`]([a-z][a-z0-9_]*)["'`]/g)].map((m) => m[1] ?? ""));
})();
/** `http_request_duration_seconds_bucket` is defined as `http_request_duration_seconds`. */
const isDefined = (metric: string) =>
  defined.has(metric) || defined.has(metric.replace(/_(bucket|count|sum)$/, ""));

describe("Prometheus", () => {
  it("scrapes every replica of every function and the worker on 8080", () => {
    for (const name of QUARRY_PROCESSES) {
      const job = prometheus.scrape_configs.find((config) => config.job_name === name);
      expect(job?.dns_sd_configs, name).toEqual([{ names: [`tasks.${name}`], type: "A", port: 8080 }]);
      expect(job?.metrics_path ?? "/metrics", name).toBe("/metrics");
    }
  });

  it("can reach them: tasks.<name> in Swarm, the same names as aliases in compose, on a shared network", () => {
    const stack = readDeployFile(STACK_FILE);
    const compose = readDeployFile(COMPOSE_FILE);
    for (const name of QUARRY_PROCESSES) {
      for (const file of [stack, compose]) {
        const shared = networksOf(file.services[name] ?? {}).filter((n) =>
          networksOf(file.services.prometheus ?? {}).includes(n),
        );
        expect(shared, name).not.toEqual([]);
      }
      const networks = compose.services[name]?.networks as Record<string, { aliases?: string[] } | null>;
      expect(networks.app?.aliases, name).toEqual([`tasks.${name}`]);
    }
  });

  it("loads the alert rules from where both deployments mount them", () => {
    expect(prometheus.rule_files).toEqual(["/etc/prometheus/alerts.yml"]);
    const stack = readDeployFile(STACK_FILE);
    expect(stack.services.prometheus?.configs).toContainEqual({
      source: "prometheus_alerts",
      target: "/etc/prometheus/alerts.yml",
    });
    expect(stack.configs?.prometheus_alerts?.file).toBe(`./${ALERTS}`);
    expect(readDeployFile(COMPOSE_FILE).services.prometheus?.volumes).toContain(
      "./prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro",
    );
  });

  it("alerts on p95 latency, 5xx rate, queue depth, oldest job age, stuck documents and rate-limit fail-opens", () => {
    const rules = alertRules();
    const reading = (pattern: RegExp) =>
      rules.filter((rule) => pattern.test(rule.expr)).map((rule) => rule.alert);
    expect(reading(/histogram_quantile\(0\.95,[\s\S]*http_request_duration_seconds_bucket/)).not.toEqual([]);
    expect(reading(/http_requests_total\{status=~"5\.\."\}/)).not.toEqual([]);
    expect(reading(/job_queue_depth/)).not.toEqual([]);
    expect(reading(/job_queue_oldest_age_seconds/)).not.toEqual([]);
    expect(reading(/documents_by_status/)).not.toEqual([]);
    expect(reading(/rate_limit_fail_open_total/)).not.toEqual([]);
    for (const rule of rules) {
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
      expect(["warning", "critical"], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
    }
    expect(new Set(rules.map((rule) => rule.alert)).size).toBe(rules.length);
  });

  it("alerts only on metrics that Quarry or prom-client define", () => {
    const unknown = metricsUsedByAlerts().filter((metric) => !isDefined(metric));
    expect(unknown).toEqual([]);
    expect(metricNamesIn('sum by (job, le) (rate(a_b_bucket{route!~"/x"}[5m])) / on() vector(0)')).toEqual([
      "a_b_bucket",
    ]);
  });

  const promtool = spawnSync("promtool", ["--version"], { stdio: "ignore" }).status === 0;
  if (!promtool)
    console.warn("\n⚠️  promtool not installed: Prometheus files are checked structurally only\n");
  it.skipIf(!promtool)("passes promtool check rules", () => {
    const output = execFileSync("promtool", ["check", "rules", ALERTS], { encoding: "utf8" });
    expect(output).toContain("SUCCESS");
  });
});

describe("Grafana", () => {
  interface Panel {
    type: string;
    title: string;
    datasource?: { uid: string };
    targets?: { expr: string }[];
  }
  const dashboard = JSON.parse(readFileSync(DASHBOARD, "utf8")) as {
    uid: string;
    panels: Panel[];
    templating: { list: { name: string; query: string }[] };
  };
  const datasource = parse(readFileSync("infra/grafana/provisioning/datasource.yml", "utf8")) as {
    datasources: { uid: string; url: string }[];
  };

  it("charts only metrics that exist, from the provisioned Prometheus data source", () => {
    const panels = dashboard.panels.filter((panel) => panel.type !== "row");
    expect(panels.length).toBeGreaterThanOrEqual(10);
    const uid = datasource.datasources[0]?.uid;
    for (const panel of panels) {
      expect(panel.datasource?.uid, panel.title).toBe(uid);
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const { expr } of panel.targets ?? []) {
        const unknown = metricNamesIn(expr).filter((metric) => metric !== "up" && !isDefined(metric));
        expect(unknown, `${panel.title}: ${expr}`).toEqual([]);
      }
    }
    expect(datasource.datasources[0]?.url).toBe("http://prometheus:9090");
  });

  it("lets one pick any function or the worker", () => {
    const variable = dashboard.templating.list.find((v) => v.name === "function");
    expect(variable?.query.split(",").sort()).toEqual([...QUARRY_PROCESSES].sort());
  });
});
