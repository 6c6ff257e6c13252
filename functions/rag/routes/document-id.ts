import { notFound } from "../../../shared/errors.ts";

/**
 * Validation hook of the `/api/rag/{id}…` routes, whose only input is the id: a malformed one names no
 * document, so it is a 404 like any other unknown id.
 */
export function malformedIdIsNotFound(result: { success: boolean }): undefined {
  if (!result.success) throw notFound("document");
  return undefined;
}
