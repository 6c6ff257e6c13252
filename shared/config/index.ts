import { readFileSync } from "node:fs";
import { z } from "zod";

/** Variables that may also be given as `<NAME>_FILE` (a path whose contents are the value): Swarm secrets. */
const SECRET_VARIABLES = [
  "DATABASE_URL",
  "REDIS_URL",
  "ADMIN_PASSWORD",
  "JWT_KEYS",
  "EMBEDDINGS_API_KEY",
  "QDRANT_API_KEY",
  "S3_SECRET_ACCESS_KEY",
  "BLOB_SIGNING_SECRET",
  "LLM_API_KEY",
] as const;

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
  /** How long a user row read for authentication is reused (0: read on every request). */
  AUTH_USER_CACHE_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
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

  // Blob store: S3 when S3_BUCKET is set, otherwise files under DATA_DIR/blobs.
  S3_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  S3_REGION: z.string().min(1).default("us-east-1"),
  S3_BUCKET: z.string().min(3).max(63).optional(),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_FORCE_PATH_STYLE: flag.default(true),
  /** Signs the blob URLs Quarry serves itself (filesystem store); generated once under DATA_DIR when unset. */
  BLOB_SIGNING_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
  /** Base of URLs handed to clients (signed blob URLs); defaults to http://127.0.0.1:${PORT}. */
  PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),

  // Embeddings and vector index
  /** OpenAI-compatible base URL (e.g. http://ollama:11434/v1); unset → the built-in lexical hashing embedder. */
  EMBEDDINGS_URL: z.url({ protocol: /^https?$/ }).optional(),
  EMBEDDINGS_API_KEY: z.string().min(1).optional(),
  /** Model name sent to the server; required with EMBEDDINGS_URL. */
  EMBEDDINGS_MODEL: z.string().min(1).optional(),
  /** Name in embeddings.model and of the index collection; derived from the model (hashing: "hashing-v1"). */
  EMBEDDINGS_MODEL_ALIAS: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, "lowercase letters, digits, '.', '_' or '-'")
    .optional(),
  /** Vector size: checked against the server's answers; the hashing embedder's size (default 384). */
  EMBEDDINGS_DIMS: z.coerce.number().int().min(8).max(8192).optional(),
  EMBEDDINGS_BATCH_SIZE: positiveInt.default(64),
  EMBEDDINGS_CONCURRENCY: positiveInt.default(4),
  EMBEDDINGS_QUEUE_LIMIT: z.coerce.number().int().min(0).default(64),
  EMBEDDINGS_TIMEOUT_MS: positiveInt.default(30_000),
  EMBEDDINGS_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(4),
  /** Qdrant base URL; unset → exact search over the vectors in Postgres. */
  QDRANT_URL: z.url({ protocol: /^https?$/ }).optional(),
  QDRANT_API_KEY: z.string().min(1).optional(),

  // Documents and ingestion
  /**
   * At most 2 GiB: the extract stage reads a file whole, and a presigned upload is moved to the document's
   * blob with one S3 copy request (5 GiB at most).
   */
  UPLOAD_LIMIT_BYTES: positiveInt.max(2 * 1024 ** 3).default(100 * 1024 * 1024),
  UPLOAD_URL_TTL_SECONDS: positiveInt.default(900),
  RATE_LIMIT_UPLOAD: ratePolicy.default({ limit: 60, windowSeconds: 60 }),
  CHUNK_MAX_TOKENS: z.coerce.number().int().min(32).max(8192).default(512),
  CHUNK_OVERLAP_TOKENS: z.coerce.number().int().min(0).max(1024).default(64),
  EXTRACT_MAX_UNPACKED_BYTES: positiveInt.default(512 * 1024 * 1024),
  EXTRACT_MAX_ENTRIES: positiveInt.default(5000),
  INGEST_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(25).default(5),
  /** Postgres text-search configuration for chunks (`simple`, `english`, `russian`…); a tenant may override it. */
  TEXT_SEARCH_LANGUAGE: z
    .string()
    .regex(/^[a-z_]{1,63}$/)
    .default("simple"),
  /** Minutes a document may sit in a stage without a live job before the watchdog acts. */
  INGEST_STUCK_AFTER_MINUTES: positiveInt.default(15),

  // Retrieval
  /**
   * Weights of the vector and the lexical list in hybrid search's reciprocal rank fusion. The vector
   * weight defaults to 1 with a model server and to 0.5 with the built-in embedder, whose list is lexical
   * evidence again (bench/retrieval measures why).
   */
  HYBRID_WEIGHT_VECTOR: z.coerce.number().min(0).max(100).optional(),
  HYBRID_WEIGHT_LEXICAL: z.coerce.number().min(0).max(100).default(1),
  /** The k of reciprocal rank fusion: score = Σ weight / (k + rank). */
  RRF_K: z.coerce.number().int().min(1).max(10_000).default(60),
  /** Candidates each mode fetches (at least top_k) before fusion; a search pages through at most these. */
  SEARCH_CANDIDATES: z.coerce.number().int().min(10).max(1000).default(100),
  /** Longest search query in characters (422 above). */
  QUERY_MAX_CHARS: z.coerce.number().int().min(16).max(100_000).default(2000),
  /** MMR's balance of relevance (1) against diversity (0) when a search asks for `mmr: true`. */
  MMR_LAMBDA: z.coerce.number().min(0).max(1).default(0.7),

  // Language model and chats
  /** OpenAI-compatible base URL (e.g. http://ollama:11434/v1); unset → the extractive responder (no generation). */
  LLM_URL: z.url({ protocol: /^https?$/ }).optional(),
  LLM_API_KEY: z.string().min(1).optional(),
  /** Model name sent to the server; required with LLM_URL. */
  LLM_MODEL: z.string().min(1).optional(),
  /** Longest a whole completion may take. */
  LLM_TIMEOUT_MS: positiveInt.default(120_000),
  /** Longest wait for the first token of an attempt (queueing for a slot not included). */
  LLM_FIRST_TOKEN_TIMEOUT_MS: positiveInt.default(30_000),
  /** Retries on 429 / 5xx / network errors, only before the first token. */
  LLM_MAX_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  LLM_CONCURRENCY: positiveInt.default(8),
  LLM_QUEUE_LIMIT: z.coerce.number().int().min(0).default(32),
  /** Replaces the built-in system prompt (the numbered sources are appended to it). */
  CHAT_SYSTEM_PROMPT: z.string().min(1).max(20_000).optional(),
  CHAT_HISTORY_TOKEN_BUDGET: positiveInt.default(3000),
  CHAT_MAX_STREAMS_PER_USER: positiveInt.default(4),
  CHAT_CONTENT_MAX_CHARS: positiveInt.default(32_000),
  /** On shutdown, how long answer streams may run on before they are stopped (stored as interrupted). */
  SHUTDOWN_GRACE_SECONDS: z.coerce.number().int().min(0).max(3600).default(30),
  /** 0 turns the answer cache off. */
  ANSWER_CACHE_TTL_SECONDS: z.coerce
    .number()
    .int()
    .min(0)
    .default(24 * 3600),
  RATE_LIMIT_CHAT: ratePolicy.default({ limit: 30, windowSeconds: 60 }),

  // Analysis
  /** Largest analysis source: uploaded file, text, or document fetched from a URL. */
  ANALYZE_MAX_SOURCE_BYTES: positiveInt.default(20 * 1024 * 1024),
  /** Whole URL fetch (every redirect and the body). */
  ANALYZE_FETCH_TIMEOUT_MS: positiveInt.default(30_000),
  ANALYZE_CONNECT_TIMEOUT_MS: positiveInt.default(5_000),
  ANALYZE_MAX_REDIRECTS: z.coerce.number().int().min(0).max(10).default(3),
  ANALYZE_ARTIFACT_URL_TTL_SECONDS: positiveInt.default(300),
  RATE_LIMIT_ANALYZE: ratePolicy.default({ limit: 20, windowSeconds: 60 }),
  ANALYZE_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(25).default(3),

  // Tracing
  /** OTLP/HTTP collector base URL (spans are POSTed to `<url>/v1/traces`); unset → tracing off. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/ }).optional(),
  /** `service.name` of the spans; defaults to `quarry-<function name>`. */
  OTEL_SERVICE_NAME: z.string().min(1).max(200).optional(),

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
