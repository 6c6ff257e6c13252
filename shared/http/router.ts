import { OpenAPIHono } from "@hono/zod-openapi";
import { ApiError } from "../errors.ts";
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
