export const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  create-tenant --slug <slug> --name <name> --admin-login <login>
                [--admin-full-name <name>] [--admin-password <password> | --admin-password-stdin]
      Creates a tenant and its first admin. Without a password option a random one is generated
      and printed once. --admin-password-stdin reads it from standard input (it stays out of ps).
  migrate
      Brings the database to the latest migration; creates the first admin from ADMIN_LOGIN and
      ADMIN_PASSWORD when no admin exists.
  help
      Shows this message.

Both commands need DATABASE_URL.
`;

/** A mistake in how the CLI was called: printed with the usage, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}
