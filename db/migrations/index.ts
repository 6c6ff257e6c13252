import type { Migration } from "kysely";
import * as foundation from "./2026-11-21-0001-foundation.ts";
import * as documents from "./2026-11-21-0002-documents.ts";
import * as deadLetterJobs from "./2026-11-21-0003-dead-letter-jobs.ts";
import * as chatsAndAnalysis from "./2026-11-21-0004-chats-and-analysis.ts";
import * as messageTokenCounts from "./2026-11-21-0005-message-token-counts.ts";
import * as declaredUploadSize from "./2026-11-21-0006-declared-upload-size.ts";

/** Every migration, registered in code (bundles carry them; nothing is read from disk). Names sort by time. */
export const migrations: Record<string, Migration> = {
  "2026-11-21-0001-foundation": foundation,
  "2026-11-21-0002-documents": documents,
  "2026-11-21-0003-dead-letter-jobs": deadLetterJobs,
  "2026-11-21-0004-chats-and-analysis": chatsAndAnalysis,
  "2026-11-21-0005-message-token-counts": messageTokenCounts,
  "2026-11-21-0006-declared-upload-size": declaredUploadSize,
};
