import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { keySetFromJwks } from "../../shared/auth/keys.ts";
import { loadConfig } from "../../shared/config/index.ts";
import { FUNCTIONS, NGINX_CONF } from "../smoke/nginx.ts";
import {
  COMPOSE_FILE,
  commandOf,
  composePlugin,
  composeSchema,
  DATA_SERVICES,
  type DeployFile,
  dockerCli,
  environmentOf,
  FUNCTION_SERVICES,
  interpolate,
  networksOf,
  QUARRY_PROCESSES,
  readDeployFile,
  STACK_FILE,
  secretsOf,
} from "./deploy-files.ts";

const docker = dockerCli();
const files: [string, DeployFile][] = [
  [STACK_FILE, readDeployFile(STACK_FILE)],
  [COMPOSE_FILE, readDeployFile(COMPOSE_FILE)],
];
const nginxConf = readFileSync(NGINX_CONF, "utf8");
/** The bundles bin/build.ts produces (`name: "entry.ts"` lines of its ENTRIES). */
const builtBundles = new Set(
  [...readFileSync("bin/build.ts", "utf8").matchAll(/^\s+(\w+): "[\w/.-]+\.ts",$/gm)].map((m) => m[1]),
);

let secretsDir: string;
beforeAll(() => {
  secretsDir = mkdtempSync(join(tmpdir(), "quarry-secrets-"));
  execFileSync("sh", ["infra/secrets.sh"], {
    env: { ...process.env, SECRETS_DIR: secretsDir },
    stdio: "pipe",
  });
});
afterAll(() => rmSync(secretsDir, { recursive: true, force: true }));

describe("stack.yml", () => {
  it.skipIf(!docker)(
    "is a valid Swarm stack file for `docker stack config` (schema, anchors, interpolation)",
    () => {
      const result = spawnSync("docker", ["stack", "config", "-c", STACK_FILE], {
        encoding: "utf8",
        env: { ...process.env, QUARRY_IMAGE: "registry.example/quarry:1.2.3", CONFIG_VERSION: "7" },
      });
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
      const resolved = parse(result.stdout) as DeployFile;
      const ours = readDeployFile(STACK_FILE);
      expect(Object.keys(resolved.services).sort()).toEqual(Object.keys(ours.services).sort());
      for (const name of [...QUARRY_PROCESSES, "migrate"]) {
        const service = resolved.services[name];
        expect(service?.image, name).toBe("registry.example/quarry:1.2.3");
        expect(commandOf(service ?? {}), name).toEqual(commandOf(ours.services[name] ?? {}));
        expect(secretsOf(service ?? {}).sort(), name).toEqual(secretsOf(ours.services[name] ?? {}).sort());
      }
      expect(resolved.configs?.nginx_conf?.name).toBe("quarry_nginx_conf_7");
    },
  );
  if (!docker)
    console.warn("\n⚠️  SKIPPED: docker CLI not found; stack.yml is checked by the cross-checks only\n");

  const stack = readDeployFile(STACK_FILE);

  it("gives every function and the worker limits, reservations, restart, update and rollback policies", () => {
    for (const name of QUARRY_PROCESSES) {
      const deploy = stack.services[name]?.deploy;
      expect(deploy?.replicas, name).toBeGreaterThanOrEqual(2);
      expect(deploy?.resources?.limits?.memory, name).toMatch(/^\d+[MG]$/);
      expect(deploy?.resources?.limits?.cpus, name).toBeDefined();
      expect(deploy?.resources?.reservations?.memory, name).toMatch(/^\d+[MG]$/);
      expect(deploy?.restart_policy?.condition, name).toBe("any");
      expect(deploy?.update_config, name).toMatchObject({ order: "start-first", failure_action: "rollback" });
      expect(deploy?.rollback_config?.order, name).toBe("start-first");
    }
  });

  it("runs the stateful services one at a time, stop-first, pinned to the data node, with volumes", () => {
    for (const name of ["postgres", "qdrant", "minio"]) {
      const service = stack.services[name];
      expect(service?.deploy?.replicas, name).toBe(1);
      expect(service?.deploy?.update_config?.order, name).toBe("stop-first");
      expect(JSON.stringify(service?.deploy), name).toContain("node.labels.quarry.data == true");
      const volume = String(service?.volumes?.[0] ?? "").split(":")[0] ?? "";
      expect(Object.keys(stack.volumes ?? {}), name).toContain(volume);
    }
  });

  it("migrates as a one-shot job", () => {
    const migrate = stack.services.migrate;
    expect(migrate?.deploy?.mode).toBe("replicated-job");
    expect(migrate?.deploy?.restart_policy?.condition).toBe("on-failure");
    expect(commandOf(migrate ?? {})).toEqual(["node", "dist/migrate.mjs"]);
  });

  it("mounts every config from a file in this repository", () => {
    for (const [name, config] of Object.entries(stack.configs ?? {})) {
      expect(existsSync(config.file), `${name}: ${config.file}`).toBe(true);
    }
    const nginx = stack.services.nginx;
    expect(nginx?.configs?.map((c) => c.target)).toContain("/etc/nginx/nginx.conf");
  });
});

describe(COMPOSE_FILE, () => {
  const compose = readDeployFile(COMPOSE_FILE);

  it("matches the Compose Specification subset it uses (strict keys, durations, conditions)", () => {
    const result = composeSchema.safeParse(compose);
    expect(result.success ? [] : result.error.issues).toEqual([]);
  });

  it("catches what it should: a misspelled key or a bad duration fails the schema", () => {
    const broken = structuredClone(compose) as { services: Record<string, Record<string, unknown>> };
    const auth = broken.services.auth as Record<string, unknown>;
    auth.helthcheck = auth.healthcheck;
    expect(composeSchema.safeParse(broken).success).toBe(false);
    delete auth.helthcheck;
    auth.stop_grace_period = "ten seconds";
    expect(composeSchema.safeParse(broken).success).toBe(false);
    auth.stop_grace_period = "10s";
    expect(composeSchema.safeParse({ ...broken, volumnes: {} }).success).toBe(false);
    expect(composeSchema.safeParse(broken).success).toBe(true);
  });

  it.skipIf(!docker || !composePlugin())("passes `docker compose config`", () => {
    const result = spawnSync("docker", ["compose", "-f", COMPOSE_FILE, "config", "-q"], { encoding: "utf8" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });
  if (!composePlugin())
    console.warn(`\n⚠️  docker compose plugin not installed: ${COMPOSE_FILE} is checked by schema\n`);

  it("runs the same services as the stack, from the image built by the Dockerfile", () => {
    const stack = readDeployFile(STACK_FILE);
    expect(Object.keys(compose.services).sort()).toEqual(Object.keys(stack.services).sort());
    expect(JSON.stringify(compose.services.migrate)).toContain('"dockerfile":"Dockerfile"');
    for (const name of [...QUARRY_PROCESSES, "migrate"]) {
      expect(compose.services[name]?.image, name).toBe("quarry:local");
    }
  });

  it("starts the functions only after the migration completed", () => {
    for (const name of QUARRY_PROCESSES) {
      expect(compose.services[name]?.depends_on, name).toEqual({
        migrate: { condition: "service_completed_successfully" },
      });
    }
  });

  it("binds files that exist, and its published ports to loopback only", () => {
    for (const [name, service] of Object.entries(compose.services)) {
      for (const volume of service.volumes ?? []) {
        const source = typeof volume === "string" ? (volume.split(":")[0] ?? "") : (volume.source ?? "");
        if (source.startsWith("."))
          expect(existsSync(join(dirname(COMPOSE_FILE), source)), `${name}: ${source}`).toBe(true);
      }
      for (const port of (service as { ports?: string[] }).ports ?? []) {
        expect(port, name).toMatch(/^127\.0\.0\.1:/);
      }
    }
  });
});

describe.each(files)("%s cross-checks", (file, deploy) => {
  const services = deploy.services;

  it("has a service for every upstream in nginx.conf, on a network nginx shares, running its bundle on 8080", () => {
    const upstreams = [...nginxConf.matchAll(/^\s*upstream (\w+) \{\s*\n\s*server (\w+):(\d+);/gm)];
    expect(upstreams.map((m) => m[1]).sort()).toEqual([...FUNCTIONS].sort());
    const nginxNetworks = networksOf(services.nginx ?? {});
    for (const [, upstream, host, port] of upstreams) {
      const service = services[host ?? ""];
      expect(service, `${upstream} -> ${host}`).toBeDefined();
      expect(port).toBe("8080");
      expect(environmentOf(service ?? {}).PORT ?? "8080", String(host)).toBe("8080");
      expect(commandOf(service ?? {}), String(host)).toEqual(["node", `dist/${host}.mjs`]);
      expect(
        networksOf(service ?? {}).some((n) => nginxNetworks.includes(n)),
        String(host),
      ).toBe(true);
    }
  });

  it("declares every secret a service uses, uses every declared secret, and points each *_FILE at one", () => {
    const declared = Object.keys(deploy.secrets ?? {});
    const used = new Set<string>();
    for (const [name, service] of Object.entries(services)) {
      const mounted = secretsOf(service);
      for (const secret of mounted) {
        expect(declared, `${name} uses ${secret}`).toContain(secret);
        used.add(secret);
      }
      for (const [key, value] of Object.entries(environmentOf(service))) {
        if (!/_FILE$/.test(key)) continue;
        const secret = value.match(/^\/run\/secrets\/([\w-]+)$/)?.[1];
        expect(secret, `${name}: ${key}=${value}`).toBeDefined();
        expect(mounted, `${name}: ${key} needs secret ${secret}`).toContain(secret);
      }
    }
    expect(declared.filter((secret) => !used.has(secret))).toEqual([]);
  });

  it("separates edge, app and data: only nginx is on edge, only Quarry and the stores are on data", () => {
    for (const [name, service] of Object.entries(services)) {
      const networks = networksOf(service);
      expect(networks.length, name).toBeGreaterThan(0);
      if (networks.includes("edge")) expect(name).toBe("nginx");
      if ((DATA_SERVICES as readonly string[]).includes(name)) expect(networks, name).toEqual(["data"]);
      if (networks.includes("data")) {
        expect([...QUARRY_PROCESSES, "migrate", ...DATA_SERVICES], name).toContain(name);
      }
    }
    expect(networksOf(services.nginx ?? {}).sort()).toEqual(["app", "edge"]);
    expect(deploy.networks?.data?.internal).toBe(true);
  });

  it("gives every long-running service a health check", () => {
    for (const [name, service] of Object.entries(services)) {
      if (name === "migrate" || (file === COMPOSE_FILE && ["prometheus", "grafana"].includes(name))) continue;
      expect(service.healthcheck?.test, name).toBeDefined();
    }
  });

  it("configures each Quarry service so that the real config schema accepts it, secrets from files", () => {
    for (const name of [...QUARRY_PROCESSES, "migrate"]) {
      const env = environmentOf(services[name] ?? {});
      const local = Object.fromEntries(
        Object.entries(env).map(([key, value]) => [
          key,
          key.endsWith("_FILE") ? value.replace(/^\/run\/secrets\//, `${secretsDir}/`) : interpolate(value),
        ]),
      );
      const config = loadConfig(local);
      expect(config, name).toMatchObject({
        NODE_ENV: "production",
        HOST: "0.0.0.0",
        PORT: 8080,
        TRUST_PROXY: true,
        S3_BUCKET: "quarry",
        QDRANT_URL: "http://qdrant:6333",
      });
      expect(config.DATABASE_URL, name).toMatch(/^postgres:\/\/quarry:\w+@postgres:5432\/quarry$/);
      expect(config.REDIS_URL, name).toMatch(/^redis:\/\/:\w+@redis:6379$/);
      expect(config.S3_SECRET_ACCESS_KEY, name).toBe(readFileSync(join(secretsDir, "s3_secret_key"), "utf8"));
      expect(config.JWT_KEYS, name).toBeDefined();
    }
    expect(environmentOf(services.migrate ?? {}).ADMIN_PASSWORD_FILE).toBe("/run/secrets/admin_password");
  });

  it("keeps the upload limits of the functions and nginx's body limits together", () => {
    const defaults = loadConfig({});
    const routes = [
      ["/api/rag", "UPLOAD_LIMIT_BYTES", defaults.UPLOAD_LIMIT_BYTES],
      ["/api/analyze", "ANALYZE_MAX_SOURCE_BYTES", defaults.ANALYZE_MAX_SOURCE_BYTES],
    ] as const;
    for (const [prefix, variable, fallback] of routes) {
      const values = new Set(QUARRY_PROCESSES.map((name) => environmentOf(services[name] ?? {})[variable]));
      expect([...values], variable).toEqual([String(fallback)]);
      const block = nginxConf.slice(nginxConf.indexOf(`location ${prefix} {`));
      const megabytes = Number(block.slice(0, block.indexOf("}")).match(/client_max_body_size (\d+)m;/)?.[1]);
      expect(megabytes * 1024 * 1024, prefix).toBeGreaterThan(fallback);
      expect(megabytes * 1024 * 1024, prefix).toBeLessThanOrEqual(fallback + 2 * 1024 * 1024);
    }
  });

  for (const name of [...FUNCTION_SERVICES, "worker", "migrate"]) {
    const bundle = commandOf(services[name] ?? {})[1]?.match(/^dist\/(\w+)\.mjs$/)?.[1] ?? "";
    const built = builtBundles.has(bundle);
    if (!built)
      console.warn(
        `\n⚠️  SKIPPED (${file}): bin/build.ts has no "${bundle}" bundle yet for service ${name}\n`,
      );
    it.skipIf(!built)(`runs a bundle that bin/build.ts produces: ${name}`, () => {
      expect(builtBundles).toContain(bundle);
    });
  }
});

describe("infra/secrets.sh", () => {
  it("writes secrets that agree with each other and a JWT key set Quarry can sign with", async () => {
    const read = (name: string) => readFileSync(join(secretsDir, name), "utf8");
    expect(read("database_url")).toContain(`:${read("postgres_password")}@`);
    expect(read("redis_url")).toContain(`:${read("redis_password")}@`);
    const keys = await keySetFromJwks(JSON.parse(read("jwt_keys")));
    expect(keys.signing.alg).toBe("EdDSA");
    expect(read("admin_password").length).toBeGreaterThanOrEqual(8);
    expect(statSync(secretsDir).mode & 0o777).toBe(0o700);
  });

  it("keeps existing secrets when run again", () => {
    const before = readFileSync(join(secretsDir, "jwt_keys"), "utf8");
    execFileSync("sh", ["infra/secrets.sh"], {
      env: { ...process.env, SECRETS_DIR: secretsDir },
      stdio: "pipe",
    });
    expect(readFileSync(join(secretsDir, "jwt_keys"), "utf8")).toBe(before);
  });
});
