import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { z } from "zod";

export const STACK_FILE = "stack.yml";
export const COMPOSE_FILE = "infra/compose.yml";
/** Services running the Quarry image: the five functions and the worker (what nginx and Prometheus reach). */
export const FUNCTION_SERVICES = ["auth", "chats", "rag", "analyze", "ops"] as const;
export const QUARRY_PROCESSES = [...FUNCTION_SERVICES, "worker"] as const;
export const DATA_SERVICES = ["postgres", "redis", "qdrant", "minio"] as const;

const duration = z.string().regex(/^(\d+(\.\d+)?(us|ms|s|m|h))+$/, "a duration such as 10s or 1m30s");
const stringList = z.array(z.string());
const environment = z.union([
  z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
  stringList,
]);
const healthcheck = z.strictObject({
  test: z.union([z.string(), z.array(z.string()).min(2)]),
  interval: duration.optional(),
  timeout: duration.optional(),
  retries: z.number().int().positive().optional(),
  start_period: duration.optional(),
  start_interval: duration.optional(),
  disable: z.boolean().optional(),
});
const dependsOn = z.union([
  stringList,
  z.record(
    z.string(),
    z.strictObject({
      condition: z.enum(["service_started", "service_healthy", "service_completed_successfully"]),
      restart: z.boolean().optional(),
      required: z.boolean().optional(),
    }),
  ),
]);
const serviceNetworks = z.union([
  stringList,
  z.record(
    z.string(),
    z.union([
      z.null(),
      z.strictObject({
        aliases: stringList.optional(),
        ipv4_address: z.string().optional(),
        priority: z.number().optional(),
      }),
    ]),
  ),
]);
const port = z.union([
  z.string().regex(/^((\d{1,3}\.){3}\d{1,3}:)?(\d+:)?\d+(\/(tcp|udp))?$/),
  z.strictObject({
    target: z.number().int(),
    published: z.union([z.number().int(), z.string()]).optional(),
    protocol: z.enum(["tcp", "udp"]).optional(),
    mode: z.enum(["host", "ingress"]).optional(),
    host_ip: z.string().optional(),
  }),
]);
const secretRef = z.union([
  z.string(),
  z.strictObject({
    source: z.string(),
    target: z.string().optional(),
    uid: z.string().optional(),
    gid: z.string().optional(),
    mode: z.number().optional(),
  }),
]);

/**
 * The part of the Compose Specification this project uses, strict: an unknown or misspelled key, a bad
 * duration or a bad condition fails. Used when `docker compose` (the plugin) is not installed.
 */
const TOP_LEVEL = ["name", "services", "networks", "volumes", "secrets", "configs"];

export const composeSchema = z
  .looseObject({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]*$/)
      .optional(),
    services: z.record(
      z.string().regex(/^[a-zA-Z0-9._-]+$/),
      z
        .strictObject({
          image: z.string().optional(),
          build: z
            .union([
              z.string(),
              z.strictObject({
                context: z.string(),
                dockerfile: z.string().optional(),
                target: z.string().optional(),
                args: environment.optional(),
              }),
            ])
            .optional(),
          command: z.union([z.string(), stringList]).optional(),
          entrypoint: z.union([z.string(), stringList]).optional(),
          environment: environment.optional(),
          secrets: z.array(secretRef).optional(),
          depends_on: dependsOn.optional(),
          healthcheck: healthcheck.optional(),
          restart: z
            .string()
            .regex(/^(no|always|unless-stopped|on-failure(:\d+)?)$/)
            .optional(),
          networks: serviceNetworks.optional(),
          ports: z.array(port).optional(),
          volumes: z.array(z.string().regex(/^[^:]+:\/[^:]*(:(ro|rw))?$/)).optional(),
          stop_grace_period: duration.optional(),
          user: z.string().optional(),
          read_only: z.boolean().optional(),
          init: z.boolean().optional(),
          labels: environment.optional(),
        })
        .refine(
          (service) => service.image !== undefined || service.build !== undefined,
          "image or build is required",
        ),
    ),
    networks: z
      .record(
        z.string(),
        z.strictObject({
          driver: z.string().optional(),
          internal: z.boolean().optional(),
          attachable: z.boolean().optional(),
          external: z.boolean().optional(),
          name: z.string().optional(),
        }),
      )
      .optional(),
    volumes: z
      .record(z.string(), z.union([z.null(), z.strictObject({ external: z.boolean().optional() })]))
      .optional(),
    secrets: z
      .record(
        z.string(),
        z.union([
          z.strictObject({ file: z.string() }),
          z.strictObject({ environment: z.string() }),
          z.strictObject({ external: z.literal(true), name: z.string().optional() }),
        ]),
      )
      .optional(),
  })
  .superRefine((file, ctx) => {
    // Extension fields (x-…) hold the anchors; anything else unknown is a mistake.
    for (const key of Object.keys(file)) {
      if (!TOP_LEVEL.includes(key) && !key.startsWith("x-")) {
        ctx.addIssue({ code: "custom", message: `unknown top-level key: ${key}`, path: [key] });
      }
    }
  });

/** A service as the tests read it (anchors and merge keys resolved). */
export interface Service {
  image?: string;
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  secrets?: (string | { source: string; target?: string })[];
  networks?: string[] | Record<string, { aliases?: string[] } | null>;
  healthcheck?: { test: string | string[] };
  depends_on?: string[] | Record<string, { condition: string }>;
  volumes?: (string | { source?: string; target: string })[];
  configs?: { source: string; target: string }[];
  deploy?: {
    mode?: string;
    replicas?: number;
    resources?: { limits?: Record<string, string>; reservations?: Record<string, string> };
    restart_policy?: { condition?: string };
    update_config?: { order?: string; failure_action?: string };
    rollback_config?: { order?: string };
  };
}

export interface DeployFile {
  services: Record<string, Service>;
  networks?: Record<string, { internal?: boolean; attachable?: boolean } | null>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file?: string; external?: boolean }>;
  configs?: Record<string, { file: string; name?: string }>;
}

/** Parses a stack/compose file with YAML merge keys (`<<: *anchor`) resolved, as docker does. */
export function readDeployFile(path: string): DeployFile {
  return parse(readFileSync(path, "utf8"), { merge: true }) as DeployFile;
}

export function networksOf(service: Service): string[] {
  const networks = service.networks ?? [];
  return Array.isArray(networks) ? networks : Object.keys(networks);
}

export function secretsOf(service: Service): string[] {
  return (service.secrets ?? []).map((secret) => (typeof secret === "string" ? secret : secret.source));
}

export function environmentOf(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => [entry.split("=")[0] ?? "", entry.slice(entry.indexOf("=") + 1)]),
    );
  }
  return Object.fromEntries(
    Object.entries(env).map(([key, value]) => [key, value === null ? "" : String(value)]),
  );
}

export function commandOf(service: Service): string[] {
  const command = service.command ?? [];
  return typeof command === "string" ? command.split(/\s+/) : command;
}

/** `${NAME:-default}` / `${NAME}` as compose interpolates them, from `env`. */
export function interpolate(value: string, env: Record<string, string> = {}): string {
  return value.replace(
    /\$\{(\w+)(?::-([^}]*))?\}/g,
    (_, name: string, fallback?: string) => env[name] ?? fallback ?? "",
  );
}

/** The docker CLI, when installed (only the client is needed: `docker stack config` reads files only). */
export function dockerCli(): string | null {
  try {
    execFileSync("docker", ["--version"], { stdio: "ignore" });
    return "docker";
  } catch {
    return null;
  }
}

/** Whether `docker compose` (the plugin) is available. */
export function composePlugin(): boolean {
  return spawnSync("docker", ["compose", "version"], { stdio: "ignore" }).status === 0;
}
