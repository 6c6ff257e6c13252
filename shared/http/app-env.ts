import type { Principal } from "../auth/principal.ts";
import type { Deps } from "../deps.ts";
import type { Logger } from "../logger.ts";

/** The typed request context every handler sees. */
export interface AppEnv {
  Variables: {
    requestId: string;
    /** The request's logger, made on first use by `requestLog(c)`. */
    log: Logger | undefined;
    deps: Deps;
    /** Set by `authenticate()`; absent on public routes. */
    principal: Principal;
  };
}
