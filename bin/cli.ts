import { ApiError } from "../shared/errors.ts";
import { createTenantCommand } from "./cli-commands/create-tenant.ts";
import { migrateCommand } from "./cli-commands/migrate.ts";
import { USAGE, UsageError } from "./cli-commands/usage.ts";

/** `npm run cli -- <command>`: operator tasks against DATABASE_URL. Exit 2 on bad usage, 1 on failure. */
const COMMANDS: Record<string, (args: string[]) => Promise<void>> = {
  "create-tenant": createTenantCommand,
  migrate: migrateCommand,
};

const [name, ...args] = process.argv.slice(2);
if (name === "help" || name === "--help" || name === "-h") {
  process.stdout.write(USAGE);
} else {
  const command = name === undefined ? undefined : COMMANDS[name];
  try {
    if (!command) throw new UsageError(name === undefined ? "no command given" : `unknown command: ${name}`);
    await command(args);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`Error: ${error.message}\n\n${USAGE}`);
      process.exitCode = 2;
    } else if (error instanceof ApiError) {
      process.stderr.write(`Error: ${error.message}\n`);
      process.exitCode = 1;
    } else {
      throw error;
    }
  }
}
