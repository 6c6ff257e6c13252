import { buildContentDeps } from "../../shared/content-deps.ts";
import { runFunction } from "../../shared/http/run-function.ts";
import { ragRoutes } from "./index.ts";

await runFunction("rag", buildContentDeps, () => [ragRoutes()]);
