import { migrateCommand } from "./cli-commands/migrate.ts";

/** One-shot migration step (`npm run migrate`, `node dist/migrate.mjs`): the CLI's `migrate` command. */
await migrateCommand([]);
