import { buildContentDeps } from "../../shared/content-deps.ts";
import { runFunction } from "../../shared/http/run-function.ts";
import { analyzeRoutes } from "./index.ts";

await runFunction("analyze", buildContentDeps, () => [analyzeRoutes()]);
