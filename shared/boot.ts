import { type Config, ConfigError, loadConfig } from "./config/index.ts";

/** Parses the configuration or exits with the one message that names every bad variable. */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
}

export function requireDatabaseUrl(config: Config, processName: string): string {
  if (config.DATABASE_URL) return config.DATABASE_URL;
  process.stderr.write(
    `Invalid configuration:\n  - DATABASE_URL: required to run ${processName} on its own (npm start embeds Postgres)\n`,
  );
  process.exit(2);
}
