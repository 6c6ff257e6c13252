import { MAINTENANCE } from "../jobs/maintenance/index.ts";
import { loadConfigOrExit, requireDatabaseUrl } from "../shared/boot.ts";
import { buildContentDeps } from "../shared/content-deps.ts";

/** `npm run jobs -- <name>`: runs one maintenance job now, in this process, and prints its report. */
const name = process.argv.slice(2).find((arg) => arg !== "--");
if (!name || !(name in MAINTENANCE)) {
  process.stderr.write(`usage: npm run jobs -- <${Object.keys(MAINTENANCE).join("|")}>\n`);
  process.exit(2);
}
const config = loadConfigOrExit();
const deps = await buildContentDeps({
  config,
  functionName: "jobs-cli",
  databaseUrl: requireDatabaseUrl(config, "jobs"),
});
try {
  const report = await MAINTENANCE[name as keyof typeof MAINTENANCE](deps);
  process.stdout.write(`${JSON.stringify({ job: name, ...report })}\n`);
} finally {
  await deps.close();
}
