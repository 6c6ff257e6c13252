import { readFileSync } from "node:fs";
import { buildDeps } from "../../shared/deps.ts";
import type { OpenApiDocument } from "../../shared/http/openapi.ts";
import { runFunction } from "../../shared/http/run-function.ts";
import { opsRoutes } from "./index.ts";

// The build writes every function's OpenAPI document beside this bundle (functions never import each other).
const document = JSON.parse(
  readFileSync(new URL("./openapi.json", import.meta.url), "utf8"),
) as OpenApiDocument;
await runFunction("ops", buildDeps, () => [opsRoutes({ apiDocument: () => document })]);
