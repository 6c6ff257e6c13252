import { notFoundWhenInvalid } from "../../../shared/http/router.ts";

/** Validation hook of the `/api/analyze/{id}…` routes: a malformed id names no analysis. */
export const malformedIdIsNotFound = notFoundWhenInvalid("analysis");
