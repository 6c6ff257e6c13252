import { randomBytes } from "node:crypto";
import { existsSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/** `BLOB_SIGNING_SECRET` when given; otherwise one generated once and kept in the data directory. */
export function loadBlobSigningSecret(configured: string | undefined, embeddedSecretFile: string): string {
  if (configured) return configured;
  if (!existsSync(embeddedSecretFile)) {
    mkdirSync(dirname(embeddedSecretFile), { recursive: true });
    // Written aside then linked into place, so a concurrent reader never sees an empty file.
    const temp = `${embeddedSecretFile}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    writeFileSync(temp, randomBytes(32).toString("base64url"), { mode: 0o600, flag: "wx" });
    try {
      linkSync(temp, embeddedSecretFile);
    } catch (error) {
      // Another process of this deployment wrote it first: use theirs.
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    } finally {
      rmSync(temp, { force: true });
    }
  }
  const secret = readFileSync(embeddedSecretFile, "utf8").trim();
  if (secret.length < 32) throw new Error(`${embeddedSecretFile}: blob signing secret is too short`);
  return secret;
}
