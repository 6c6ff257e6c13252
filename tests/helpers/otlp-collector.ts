import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A stand-in OpenTelemetry collector on loopback: records every request (OTLP/HTTP with JSON bodies, as
 * the trace exporter sends them) and decodes the spans of `POST /v1/traces`.
 */

export interface CollectorRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

const KINDS = ["unspecified", "internal", "server", "client", "producer", "consumer"] as const;
const STATUS = ["unset", "ok", "error"] as const;

export interface ExportedSpan {
  service: string;
  name: string;
  kind: (typeof KINDS)[number];
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  status: (typeof STATUS)[number];
  attributes: Record<string, string | number | boolean>;
}

export interface Collector {
  /** Base URL, as OTEL_EXPORTER_OTLP_ENDPOINT takes it. */
  readonly url: string;
  readonly requests: CollectorRequest[];
  /** Every span of every `POST /v1/traces` received so far. */
  spans(): ExportedSpan[];
  clear(): void;
  close(): Promise<void>;
}

interface OtlpValue {
  stringValue?: string;
  intValue?: number | string;
  boolValue?: boolean;
  doubleValue?: number;
}
interface OtlpAttribute {
  key: string;
  value: OtlpValue;
}
interface OtlpSpan {
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  status?: { code?: number };
  attributes?: OtlpAttribute[];
}
interface OtlpTraces {
  resourceSpans: { resource: { attributes: OtlpAttribute[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

function plainValue({ stringValue, intValue, boolValue, doubleValue }: OtlpValue): string | number | boolean {
  if (intValue !== undefined) return Number(intValue);
  return stringValue ?? boolValue ?? doubleValue ?? "";
}

function attributesOf(list: OtlpAttribute[] = []): ExportedSpan["attributes"] {
  return Object.fromEntries(list.map(({ key, value }) => [key, plainValue(value)]));
}

function decode(body: string): ExportedSpan[] {
  const traces = JSON.parse(body) as OtlpTraces;
  return traces.resourceSpans.flatMap(({ resource, scopeSpans }) => {
    const service = String(attributesOf(resource.attributes)["service.name"]);
    return scopeSpans.flatMap(({ spans }) =>
      spans.map((span) => ({
        service,
        name: span.name,
        kind: KINDS[span.kind] ?? "unspecified",
        traceId: span.traceId,
        spanId: span.spanId,
        ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
        status: STATUS[span.status?.code ?? 0] ?? "unset",
        attributes: attributesOf(span.attributes),
      })),
    );
  });
}

export async function startCollector(): Promise<Collector> {
  const requests: CollectorRequest[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = new URL(req.url ?? "/", "http://collector").pathname;
    requests.push({
      method: req.method ?? "GET",
      path,
      headers: req.headers,
      body: Buffer.concat(chunks).toString("utf8"),
    });
    res.writeHead(200, { "content-type": "application/json" });
    res.end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    spans: () =>
      requests.filter((r) => r.method === "POST" && r.path === "/v1/traces").flatMap((r) => decode(r.body)),
    clear: () => {
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
