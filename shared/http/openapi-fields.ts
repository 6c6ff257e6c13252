import { z } from "@hono/zod-openapi";

/** Fields every function's schemas share: a timestamp in responses, and the list paging query. */
export const timestampField = z
  .string()
  .openapi({ format: "date-time", example: "2026-01-01T00:00:00.000Z" });

export const cursorQuery = z
  .string()
  .max(512)
  .optional()
  .openapi({ description: "Opaque: the next_cursor of the previous page" });

export const limitQuery = (defaultLimit: number) =>
  z.coerce.number().int().min(1).max(100).default(defaultLimit);
