import { randomBytes } from "node:crypto";
import { text } from "node:stream/consumers";
import { parseArgs } from "node:util";
import { NewTenant } from "../../functions/ops/schemas.ts";
import { loadConfigOrExit, requireDatabaseUrl } from "../../shared/boot.ts";
import { buildDeps } from "../../shared/deps.ts";
import { recordSystemAudit } from "../../shared/services/audit.ts";
import { createTenantWithAdmin } from "../../shared/services/tenants.ts";
import { UsageError } from "./usage.ts";

const OPTIONS = {
  slug: { type: "string" },
  name: { type: "string" },
  "admin-login": { type: "string" },
  "admin-full-name": { type: "string", default: "Administrator" },
  "admin-password": { type: "string" },
  "admin-password-stdin": { type: "boolean", default: false },
} as const;

function parseOptions(args: string[]) {
  try {
    return parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

async function choosePassword(given: string | undefined, fromStdin: boolean) {
  if (given !== undefined && fromStdin) {
    throw new UsageError("give --admin-password or --admin-password-stdin, not both");
  }
  if (given !== undefined) return { password: given, generated: false };
  if (fromStdin) return { password: (await text(process.stdin)).replace(/\r?\n$/, ""), generated: false };
  return { password: randomBytes(18).toString("base64url"), generated: true };
}

/** The same verb as `POST /api/admin/tenants`, audited in the new tenant with no actor (`via: cli`). */
export async function createTenantCommand(args: string[]): Promise<void> {
  const options = parseOptions(args);
  const missing = (["slug", "name", "admin-login"] as const).filter((name) => options[name] === undefined);
  if (missing.length > 0) throw new UsageError(`missing ${missing.map((name) => `--${name}`).join(", ")}`);
  const { password, generated } = await choosePassword(
    options["admin-password"],
    options["admin-password-stdin"],
  );
  const parsed = NewTenant.safeParse({
    slug: options.slug,
    name: options.name,
    admin: { login: options["admin-login"], password, full_name: options["admin-full-name"] },
  });
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new UsageError(`invalid input:\n  ${problems.join("\n  ")}`);
  }
  const input = parsed.data;

  const config = loadConfigOrExit();
  const deps = await buildDeps({
    config,
    functionName: "cli",
    databaseUrl: requireDatabaseUrl(config, "the CLI"),
  });
  try {
    const { tenant, admin } = await deps.db.transaction().execute(async (trx) => {
      const created = await createTenantWithAdmin(trx, {
        slug: input.slug,
        name: input.name,
        admin: { login: input.admin.login, password: input.admin.password, fullName: input.admin.full_name },
        passwordLogN: config.PASSWORD_SCRYPT_LOG_N,
      });
      await recordSystemAudit(trx, created.tenant.id, {
        action: "tenant.create",
        targetType: "tenant",
        targetId: created.tenant.id,
        meta: {
          via: "cli",
          slug: created.tenant.slug,
          admin_id: created.admin.id,
          admin_login: created.admin.login,
        },
      });
      return created;
    });
    const lines = [
      `Created tenant "${tenant.slug}" (${tenant.id})`,
      `Admin login: ${admin.login} (${admin.id})`,
    ];
    if (generated) lines.push(`Admin password (shown once, change it): ${password}`);
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    await deps.close();
  }
}
