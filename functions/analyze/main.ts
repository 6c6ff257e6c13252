import { runFunction } from "../../shared/http/run-function.ts";
import { analyzeRoutes } from "./index.ts";

await runFunction("analyze", () => [analyzeRoutes()]);
