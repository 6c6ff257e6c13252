import { readFileSync } from "node:fs";
import { parse } from "yaml";

const PROMQL_WORDS = new Set([
  "sum",
  "max",
  "min",
  "avg",
  "count",
  "rate",
  "increase",
  "irate",
  "histogram_quantile",
  "vector",
  "by",
  "without",
  "on",
  "ignoring",
  "and",
  "or",
  "unless",
  "bool",
  "offset",
  "min_over_time",
  "max_over_time",
]);

/** The metric names a PromQL expression reads (label matchers, groupings, functions and numbers left out). */
export function metricNamesIn(expr: string): string[] {
  const withoutLabels = expr
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/"[^"]*"/g, " ");
  const names = withoutLabels.match(/\b[a-zA-Z_:][a-zA-Z0-9_:]*\b/g) ?? [];
  return [...new Set(names.filter((name) => !PROMQL_WORDS.has(name)))];
}

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: { severity?: string };
  annotations?: { summary?: string; description?: string };
}

export function alertRules(path = "infra/prometheus/alerts.yml"): AlertRule[] {
  const file = parse(readFileSync(path, "utf8")) as { groups: { name: string; rules: AlertRule[] }[] };
  return file.groups.flatMap((group) => group.rules);
}

/** Metric names the alert rules read, Prometheus' own `up` excluded. */
export function metricsUsedByAlerts(): string[] {
  return [...new Set(alertRules().flatMap((rule) => metricNamesIn(rule.expr)))].filter(
    (name) => name !== "up",
  );
}
