import { notFound } from "../../../shared/errors.ts";

/** Validation hook of the `/api/analyze/{id}…` routes: a malformed id names no analysis, so it is a 404. */
export function malformedIdIsNotFound(result: { success: boolean }): undefined {
  if (!result.success) throw notFound("analysis");
  return undefined;
}
