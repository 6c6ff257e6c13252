import { buildDeps } from "../../shared/deps.ts";
import { runFunction } from "../../shared/http/run-function.ts";
import { authRoutes } from "./index.ts";

await runFunction("auth", buildDeps, () => [authRoutes()]);
