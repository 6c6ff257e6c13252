/** The SQLSTATE codes Quarry answers to (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
export const PG_ERROR = {
  uniqueViolation: "23505",
  foreignKeyViolation: "23503",
  /** Text holding a NUL character (U+0000), which Postgres text cannot store. */
  characterNotInRepertoire: "22021",
  /** A `\u0000` escape in jsonb. */
  untranslatableCharacter: "22P05",
} as const;

type PgErrorCode = (typeof PG_ERROR)[keyof typeof PG_ERROR];

/** An error Postgres raised with one of `codes`; its `constraint` names the violated one, if any. */
export function isPgError(error: unknown, ...codes: PgErrorCode[]): error is Error & { constraint?: string } {
  if (typeof error !== "object" || error === null) return false;
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" && (codes as string[]).includes(code);
}
