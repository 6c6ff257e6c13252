import { runFunction } from "../../shared/http/run-function.ts";
import { ragRoutes } from "./index.ts";

await runFunction("rag", () => [ragRoutes()]);
