import { OpenAPIHono } from "@hono/zod-openapi";
import { ApiError, notFound } from "../errors.ts";
import type { AppEnv } from "./app-env.ts";

/** A route group: validation failures become the error envelope (422) through the shared error handler. */
export function createRouter(): OpenAPIHono<AppEnv> {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const issues = result.error.issues.map((issue) => ({
          path: issue.path.map(String).join("."),
          message: issue.message,
        }));
        throw new ApiError("validation_failed", "request validation failed", { issues });
      }
    },
  });
}

/**
 * Validation hook for routes whose only input is an id: a malformed id names nothing, so it is a 404
 * like any other unknown id (never a 422 that tells an id's shape apart from its existence).
 */
export function notFoundWhenInvalid(what: string) {
  return (result: { success: boolean }): undefined => {
    if (!result.success) throw notFound(what);
    return undefined;
  };
}
