import { readFileSync } from "node:fs";
import { z } from "zod";

/** Variables that may also be given as `<NAME>_FILE` (a path whose contents are the value): Swarm secrets. */
const SECRET_VARIABLES = ["DATABASE_URL", "REDIS_URL", "ADMIN_PASSWORD", "JWT_KEYS"] as const;

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const flag = z.enum(["0", "1", "true", "false"]).transform((v) => v === "1" || v === "true");
const list = z
  .string()
  .transform((v) =>
    v
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string()));
/** A rate limit policy written as `<requests>/<seconds>s`, e.g. `10/60s`. */
const ratePolicy = z
  .string()
  .regex(/^\d+\/\d+s$/, "expected <requests>/<seconds>s, e.g. 10/60s")
  .transform((v) => {
    const [limit, window] = v.slice(0, -1).split("/").map(Number) as [number, number];
    return { limit, windowSeconds: window };
  })
  .refine((p) => p.limit > 0 && p.windowSeconds > 0, "limit and window must be positive");

export const configSchema = z.object({
  NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
  HOST: z.string().min(1).default("127.0.0.1"),
  PORT: port.default(8080),
  DATA_DIR: z.string().min(1).default(".data"),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),

  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  DATABASE_POOL_MAX: positiveInt.default(10),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  REDIS_KEY_PREFIX: z.string().default("quarry:"),

  CORS_ORIGINS: list.default([]),
  TRUST_PROXY: flag.default(false),
  BODY_LIMIT_BYTES: positiveInt.default(1024 * 1024),

  JWT_KEYS: z.string().min(1).optional(),
  JWT_ISSUER: z.string().min(1).default("quarry"),
  JWT_AUDIENCE: z.string().min(1).default("quarry-api"),
  ACCESS_TOKEN_TTL_SECONDS: positiveInt.default(900),
  REFRESH_TOKEN_TTL_SECONDS: positiveInt.default(30 * 24 * 3600),
  /** scrypt cost as log2(N); 15 = 32 MiB per hash. */
  PASSWORD_SCRYPT_LOG_N: z.coerce.number().int().min(10).max(20).default(15),

  ADMIN_LOGIN: z.string().min(1).max(200).optional(),
  ADMIN_PASSWORD: z.string().min(8, "must be at least 8 characters").optional(),
  DEFAULT_TENANT_SLUG: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,62}$/)
    .default("default"),

  IDEMPOTENCY_TTL_SECONDS: positiveInt.default(24 * 3600),
  RATE_LIMIT_DEFAULT: ratePolicy.default({ limit: 600, windowSeconds: 60 }),
  RATE_LIMIT_LOGIN: ratePolicy.default({ limit: 10, windowSeconds: 60 }),

  WORKER_CONCURRENCY: positiveInt.default(4),
  BUILD_VERSION: z.string().default("0.1.0"),
  BUILD_COMMIT: z.string().default("unknown"),
});

export type Config = z.infer<typeof configSchema>;
export type RatePolicy = Config["RATE_LIMIT_DEFAULT"];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "ConfigError";
  }
}

type Env = Record<string, string | undefined>;

/** Replaces each `<NAME>_FILE` secret by the file's contents; a problem is reported, not thrown. */
function resolveSecretFiles(env: Env, problems: string[]): Env {
  const resolved: Env = { ...env };
  for (const name of SECRET_VARIABLES) {
    const path = env[`${name}_FILE`];
    if (!path) continue;
    if (env[name] !== undefined && env[name] !== "") {
      problems.push(`${name} and ${name}_FILE are both set: keep one`);
      continue;
    }
    try {
      resolved[name] = readFileSync(path, "utf8").replace(/\r?\n$/, "");
    } catch (error) {
      problems.push(
        `${name}_FILE: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? "error"})`,
      );
    }
  }
  return resolved;
}

/** Empty strings mean "unset", as they do in most deployment files. */
function dropEmpty(env: Env): Env {
  return Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ""));
}

/** Parses the whole environment once; every bad variable is named in one error. */
export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const resolved = dropEmpty(resolveSecretFiles(env, problems));
  const parsed = configSchema.safeParse(resolved);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = issue.path.join(".") || "(environment)";
      const secret = (SECRET_VARIABLES as readonly string[]).includes(name);
      problems.push(`${name}: ${issue.message}${secret ? "" : describeValue(resolved[name])}`);
    }
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  return parsed.data;
}

function describeValue(value: string | undefined): string {
  return value === undefined ? " (missing)" : ` (got ${JSON.stringify(value.slice(0, 80))})`;
}
