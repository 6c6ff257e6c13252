import { notFoundWhenInvalid } from "../../../shared/http/router.ts";

/** Validation hook of the `/api/rag/{id}…` routes: a malformed id names no document. */
export const malformedIdIsNotFound = notFoundWhenInvalid("document");
