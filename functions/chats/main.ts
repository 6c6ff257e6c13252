import { buildContentDeps } from "../../shared/content-deps.ts";
import { runFunction } from "../../shared/http/run-function.ts";
import { chatsRoutes } from "./index.ts";

await runFunction("chats", buildContentDeps, () => [chatsRoutes()]);
