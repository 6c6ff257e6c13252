import { beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../../db/types.ts";
import { signAccessToken } from "../../shared/auth/jwt.ts";
import { roleAtLeast } from "../../shared/auth/principal.ts";
import type { Deps } from "../../shared/deps.ts";
import { readJson, type TestApp } from "./app.ts";
import { createTeam, type TestUser } from "./users.ts";

export type Team = Awaited<ReturnType<typeof createTeam>>;

/** The app, a team (one user per role), and a team of another tenant. */
export interface MatrixBase {
  app: TestApp;
  team: Team;
  foreign: Team;
}

/** What a matrix route's path and body functions get. */
export interface MatrixContext<Fixtures = undefined> extends MatrixBase {
  /** Whatever the `fixtures` option built, e.g. a document that belongs to `foreign`. */
  fixtures: Fixtures;
}

export interface MatrixRoute<Fixtures = undefined> {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** A path to a resource of `ctx.team`'s tenant (or the collection). */
  path: string | ((ctx: MatrixContext<Fixtures>) => string);
  /** The lowest role allowed; every role below it must get 403. */
  minRole: Role;
  /** A valid body, so a refusal cannot come from validation instead of authorization. */
  body?: Record<string, unknown> | ((ctx: MatrixContext<Fixtures>) => Record<string, unknown>);
  /** The same route on a resource of `ctx.foreign` (another tenant, or another user's): must be a 404. */
  foreignPath?: (ctx: MatrixContext<Fixtures>) => string;
  /** Test name; defaults to the method and path. */
  name?: string;
}

export interface MatrixOptions<Fixtures> {
  /**
   * Builds resources the paths need, once, after both teams exist. Annotate its parameter
   * (`async ({ foreign }: MatrixBase) => …`) so TypeScript infers the fixtures' type for the paths.
   */
  fixtures?: (ctx: MatrixBase) => Promise<Fixtures>;
}

const ROLES: Role[] = ["reader", "editor", "admin"];

/** An access token for `user` that is valid in every way except that it expired a minute ago. */
export async function expiredAccessToken(deps: Deps, user: TestUser): Promise<string> {
  const { token_version } = await deps.db
    .selectFrom("users")
    .select("token_version")
    .where("id", "=", user.id)
    .executeTakeFirstOrThrow();
  return signAccessToken(
    deps.keys,
    { issuer: deps.config.JWT_ISSUER, audience: deps.config.JWT_AUDIENCE, ttlSeconds: -60 },
    { userId: user.id, tenantId: user.tenantId, role: user.role, tokenVersion: token_version },
  );
}

/** The unauthorized envelope, with the Bearer challenge. */
export async function expectUnauthorized(res: Response): Promise<void> {
  expect(res.status).toBe(401);
  expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
  const body = await readJson<{
    error: { code: string; message: string; details: unknown };
    request_id: string;
  }>(res);
  expect(body).toEqual({
    error: { code: "unauthorized", message: expect.any(String), details: {} },
    request_id: res.headers.get("x-request-id"),
  });
}

function routeName<F>(route: MatrixRoute<F>): string {
  if (route.name) return route.name;
  if (typeof route.path === "string") return `${route.method} ${route.path}`;
  // `(ctx) => \`/api/x/${ctx.a.id}\`` reads as `/api/x/{…}` in the test name.
  const template = route.path.toString().match(/`([^`]*)`/)?.[1];
  return `${route.method} ${template?.replace(/\$\{[^}]*\}/g, "{…}") ?? "(dynamic path)"}`;
}

/**
 * Generates, for each route, the cases every protected route must pass: no token, a malformed token and
 * an expired token → 401 (envelope and challenge); each role below `minRole` → 403; with `foreignPath`,
 * the resource of another tenant or user → 404 (never 403), asked by a `minRole` user. A GET route is
 * also called by a `minRole` user, who must get through (other methods are not, to avoid side effects).
 *
 * Call it where the app is already started by an enclosing (or the same) suite's `beforeAll`:
 * `authMatrix(() => t, [{ method: "GET", path: "/api/chats", minRole: "reader" }])`.
 */
export function authMatrix<Fixtures = undefined>(
  getApp: () => TestApp,
  routes: MatrixRoute<NoInfer<Fixtures>>[],
  options: MatrixOptions<Fixtures> = {},
): void {
  describe("auth matrix", () => {
    let ctx: MatrixContext<Fixtures>;
    beforeAll(async () => {
      const app = getApp();
      const [team, foreign] = await Promise.all([createTeam(app.deps), createTeam(app.deps)]);
      const fixtures = options.fixtures ? await options.fixtures({ app, team, foreign }) : undefined;
      ctx = { app, team, foreign, fixtures: fixtures as Fixtures };
    });

    const request = (route: MatrixRoute<Fixtures>, token: string | undefined, path?: string) => {
      const body = typeof route.body === "function" ? route.body(ctx) : route.body;
      const target = path ?? (typeof route.path === "string" ? route.path : route.path(ctx));
      return ctx.app.call(target, { method: route.method, token, json: body });
    };

    for (const route of routes) {
      describe(routeName(route), () => {
        it("answers 401 without a token", async () => {
          await expectUnauthorized(await request(route, undefined));
        });

        it("answers 401 to a malformed token", async () => {
          await expectUnauthorized(await request(route, "not-a.jwt.token"));
        });

        it("answers 401 to an expired token", async () => {
          const user = ctx.team[route.minRole];
          await expectUnauthorized(await request(route, await expiredAccessToken(ctx.app.deps, user)));
        });

        for (const role of ROLES.filter((r) => !roleAtLeast(r, route.minRole))) {
          it(`answers 403 to ${role === "editor" ? "an" : "a"} ${role}`, async () => {
            const res = await request(route, ctx.team[role].token);
            expect(res.status).toBe(403);
            expect((await readJson<{ error: { code: string } }>(res)).error.code).toBe("forbidden");
          });
        }

        if (route.method === "GET") {
          it(`lets ${route.minRole === "reader" ? "a" : "an"} ${route.minRole} through`, async () => {
            const res = await request(route, ctx.team[route.minRole].token);
            expect(res.status).toBeLessThan(400);
          });
        }

        const { foreignPath } = route;
        if (foreignPath) {
          it("answers 404 for another tenant's resource", async () => {
            const res = await request(route, ctx.team[route.minRole].token, foreignPath(ctx));
            expect(res.status).toBe(404);
            expect((await readJson<{ error: { code: string } }>(res)).error.code).toBe("not_found");
          });
        }
      });
    }
  });
}
