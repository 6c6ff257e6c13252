import { runFunction } from "../../shared/http/run-function.ts";
import { chatsRoutes } from "./index.ts";

await runFunction("chats", () => [chatsRoutes()]);
