import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newChat } from "../chats/fixtures.ts";
import { readJson, startTestApp, type TestApp } from "../helpers/app.ts";
import { createTenant, createUser, type TestUser } from "../helpers/users.ts";

type Schema = Record<string, unknown>;
interface OpenApiDocument {
  paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: Schema }> } }>>;
  components: { schemas: Record<string, Schema> };
}

/** Values of every JSON type, at the edges: each replaces one field of a valid body in turn. */
const ODD_VALUES: unknown[] = [
  null,
  -1,
  0,
  1.5,
  1e308,
  2 ** 53 + 1,
  "",
  "x".repeat(100_000),
  "😀".repeat(2000),
  "\u202e",
  "\ud800",
  "0",
  [],
  [[[[]]]],
  {},
  { a: { b: {} } },
  true,
];
const ODD_IDS = [randomUUID(), "not-a-uuid", "%00", "..%2F..", "x".repeat(3000)];
const ODD_QUERY_VALUES = [
  "",
  "-1",
  "abc",
  "1e309",
  "99999999999999999999",
  "%00",
  "%FF%FE",
  "()&|!:*",
  "x".repeat(5000),
];

/**
 * Every route of the OpenAPI document, fed odd input: whatever it is, the answer is the error envelope with
 * a 4xx (or a success), never a 500. New routes are swept as soon as they are documented.
 */
describe("odd input on every documented route", () => {
  let t: TestApp;
  let admin: TestUser;
  let other: TestUser;
  let doc: OpenApiDocument;
  beforeAll(async () => {
    t = await startTestApp();
    const tenant = await createTenant(t.deps);
    admin = await createUser(t.deps, tenant.id, "admin", { isPlatformAdmin: true });
    other = await createUser(t.deps, tenant.id, "reader");
    doc = await readJson<OpenApiDocument>(await t.call("/api/docs/openapi.json"));
  });
  afterAll(() => t.close());

  const resolve = (schema: Schema): Schema => {
    const ref = schema.$ref as string | undefined;
    return ref ? resolve(doc.components.schemas[ref.split("/").at(-1) as string] as Schema) : schema;
  };

  /** A body the schema accepts, as far as its types and bounds say: the required fields only. */
  const validValue = (raw: Schema): unknown => {
    const schema = resolve(raw);
    for (const key of ["anyOf", "oneOf", "allOf"]) {
      const options = schema[key] as Schema[] | undefined;
      if (options?.[0]) return validValue(options[0]);
    }
    if (Array.isArray(schema.enum)) return schema.enum[0];
    if (schema.default !== undefined) return schema.default;
    switch (schema.type) {
      case "object": {
        const properties = (schema.properties ?? {}) as Record<string, Schema>;
        const required = (schema.required ?? []) as string[];
        return Object.fromEntries(required.map((name) => [name, validValue(properties[name] ?? {})]));
      }
      case "string":
        return schema.format === "uuid"
          ? randomUUID()
          : "x".repeat(Math.max(1, Number(schema.minLength ?? 1)));
      case "integer":
      case "number":
        return schema.minimum ?? 1;
      case "boolean":
        return true;
      case "array":
        return schema.minItems ? [validValue((schema.items ?? {}) as Schema)] : [];
      default:
        return "x";
    }
  };

  /** The valid body, then one field (or one field of a nested object, or an array's items) at a time made odd. */
  const oddBodies = (schema: Schema): unknown[] => {
    const base = validValue(schema) as Record<string, unknown>;
    const bodies: unknown[] = [base];
    for (const [name, raw] of Object.entries((resolve(schema).properties ?? {}) as Record<string, Schema>)) {
      const field = resolve(raw);
      for (const odd of ODD_VALUES) {
        bodies.push({ ...base, [name]: odd });
        if (field.type === "array") bodies.push({ ...base, [name]: [odd, odd] });
        for (const inner of Object.keys((field.properties ?? {}) as object)) {
          bodies.push({ ...base, [name]: { ...(validValue(field) as object), [inner]: odd } });
        }
      }
    }
    return bodies;
  };

  it("JSON bodies: never a 500", async () => {
    const chatId = await newChat(t, admin.token, "sweep");
    const failures: string[] = [];
    let sent = 0;
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const schema = operation.requestBody?.content["application/json"]?.schema;
        if (!schema) continue;
        const url = path.replace("{id}", path.startsWith("/api/chats") ? chatId : other.id);
        for (const body of oddBodies(schema)) {
          sent++;
          const res = await t.call(url, { method: method.toUpperCase(), token: admin.token, json: body });
          const text = await res.text();
          if (res.status >= 500)
            failures.push(`${method} ${url} ${JSON.stringify(body).slice(0, 120)} → ${text}`);
        }
      }
    }
    expect(failures).toEqual([]);
    // The sweep reached the routes: a broken document or body builder would send next to nothing.
    expect(sent).toBeGreaterThan(500);
  }, 120_000);

  it("ids in paths and query values: never a 500", async () => {
    const failures: string[] = [];
    let sent = 0;
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        if (method !== "get" && method !== "delete") continue;
        const queryNames = ((operation as { parameters?: { name: string; in: string }[] }).parameters ?? [])
          .filter((parameter) => parameter.in === "query")
          .map((parameter) => parameter.name);
        for (const id of ODD_IDS) {
          const base = path.replace(/\{[^}]+\}/g, id);
          const urls = [base, `${base}?${queryNames.map((name) => `${name}=1&${name}=2`).join("&")}`];
          for (const name of queryNames)
            for (const value of ODD_QUERY_VALUES) urls.push(`${base}?${name}=${value}`);
          for (const url of urls) {
            sent++;
            const res = await t.call(url, { method: method.toUpperCase(), token: admin.token });
            const text = await res.text();
            if (res.status >= 500) failures.push(`${method} ${url.slice(0, 120)} → ${text}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(sent).toBeGreaterThan(500);
  }, 120_000);
});
