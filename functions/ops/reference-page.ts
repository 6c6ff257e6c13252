import { createHash } from "node:crypto";

/** Where the page fetches the document from (nginx routes by prefix and keeps /api). */
export const OPENAPI_JSON_PATH = "/api/docs/openapi.json";

const STYLE = `
:root { color-scheme: light dark; --fg: #1d2330; --muted: #5d6678; --line: #d9dde5; --bg: #fff; --code: #f3f5f8; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e4e7ee; --muted: #9aa3b5; --line: #343a47; --bg: #16191f; --code: #222730; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { padding: 1.2rem 2rem; border-bottom: 1px solid var(--line); }
header h1 { margin: 0 0 .3rem; font-size: 1.5rem; }
header p { margin: .2rem 0 .8rem; color: var(--muted); }
main { padding: 1rem 2rem 3rem; max-width: 72rem; }
input[type=search] { width: min(30rem, 100%); padding: .45rem .7rem; font: inherit; color: inherit;
  background: var(--code); border: 1px solid var(--line); border-radius: 6px; }
code, .path { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: .9em; }
details.tag { margin: 1rem 0; }
details.tag > summary { font-size: 1.2rem; font-weight: 600; cursor: pointer; padding: .3rem 0; }
details.op { border: 1px solid var(--line); border-radius: 6px; margin: .5rem 0; }
details.op > summary { cursor: pointer; padding: .5rem .8rem; display: flex; gap: .8rem; align-items: baseline; }
details.op[open] > summary { border-bottom: 1px solid var(--line); }
.op-body { padding: .6rem 1rem 1rem; }
.method { display: inline-block; min-width: 4.2rem; text-align: center; font-weight: 700; font-size: .8rem;
  padding: .1rem .4rem; border-radius: 4px; color: #fff; background: #6b7280; }
.m-get { background: #2563eb; } .m-post { background: #16a34a; } .m-patch { background: #d97706; }
.m-put { background: #9333ea; } .m-delete { background: #dc2626; }
.summary, .muted { color: var(--muted); }
.auth { font-size: .85rem; color: var(--muted); }
h4 { margin: 1rem 0 .4rem; font-size: .95rem; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; vertical-align: top; padding: .3rem .5rem; border-bottom: 1px solid var(--line); }
ul.schema { list-style: none; margin: .2rem 0; padding-left: 1.2rem; border-left: 2px solid var(--line); }
ul.schema li { margin: .15rem 0; }
.type { color: #0e7490; } .req { color: #dc2626; font-size: .8rem; } .constraints { color: var(--muted); font-size: .85rem; }
.status { font-weight: 700; margin-right: .5rem; }
.error { color: #dc2626; }
`;

// Plain browser JavaScript: everything is built with DOM calls and textContent, never innerHTML.
const SCRIPT = `
(() => {
  "use strict";
  const app = document.getElementById("app");
  const info = document.getElementById("info");
  const filter = document.getElementById("filter");
  const METHODS = ["get", "post", "put", "patch", "delete", "head", "options"];
  const MAX_DEPTH = 8;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function refName(ref) { return ref.split("/").pop(); }
  function component(doc, kind, ref) {
    const all = (doc.components && doc.components[kind]) || {};
    return all[refName(ref)] || {};
  }
  function deref(doc, schema) {
    return schema && typeof schema.$ref === "string" ? component(doc, "schemas", schema.$ref) : schema || {};
  }
  function typeLabel(doc, schema) {
    if (!schema) return "any";
    if (typeof schema.$ref === "string") return refName(schema.$ref);
    if (schema.const !== undefined) return JSON.stringify(schema.const);
    if (Array.isArray(schema.enum)) return schema.enum.map((v) => JSON.stringify(v)).join(" | ");
    const variants = schema.anyOf || schema.oneOf;
    if (Array.isArray(variants)) return variants.map((v) => typeLabel(doc, v)).join(" | ");
    let type = Array.isArray(schema.type) ? schema.type.join(" | ") : schema.type;
    if (type === "array") type = typeLabel(doc, schema.items) + "[]";
    if (!type) type = schema.properties ? "object" : "any";
    return schema.format ? type + " (" + schema.format + ")" : type;
  }
  function constraints(schema) {
    const parts = [];
    const names = ["minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
      "minItems", "maxItems", "pattern", "default", "example"];
    for (const name of names) {
      if (schema[name] !== undefined) parts.push(name + ": " + JSON.stringify(schema[name]));
    }
    return parts.join(", ");
  }
  function fieldLine(doc, name, schema, required) {
    const li = el("li");
    const shown = deref(doc, schema);
    li.append(el("code", null, name), " ", el("span", "type", typeLabel(doc, schema)));
    if (required) li.append(" ", el("span", "req", "required"));
    if (shown.description) li.append(" — ", el("span", null, shown.description));
    const limits = constraints(shown);
    if (limits) li.append(" ", el("span", "constraints", "(" + limits + ")"));
    return li;
  }
  function schemaTree(doc, schema, depth, seen) {
    if (!schema || depth > MAX_DEPTH) return null;
    let next = seen;
    if (typeof schema.$ref === "string") {
      if (seen.includes(schema.$ref)) return null;
      next = seen.concat(schema.$ref);
    }
    const s = deref(doc, schema);
    if (s.items) return schemaTree(doc, s.items, depth + 1, next);
    const variants = s.anyOf || s.oneOf || s.allOf;
    if (Array.isArray(variants)) {
      const list = el("ul", "schema");
      variants.forEach((variant, i) => {
        const li = el("li", null, (s.allOf ? "all of " : "variant ") + (i + 1) + ": ");
        li.append(el("span", "type", typeLabel(doc, variant)));
        const sub = schemaTree(doc, variant, depth + 1, next);
        if (sub) li.append(sub);
        list.append(li);
      });
      return list;
    }
    const properties = s.properties || {};
    const keys = Object.keys(properties);
    const extra = s.additionalProperties && typeof s.additionalProperties === "object";
    if (keys.length === 0 && !extra) return null;
    const list = el("ul", "schema");
    const required = Array.isArray(s.required) ? s.required : [];
    for (const key of keys) {
      const li = fieldLine(doc, key, properties[key], required.includes(key));
      const sub = schemaTree(doc, properties[key], depth + 1, next);
      if (sub) li.append(sub);
      list.append(li);
    }
    if (extra) list.append(fieldLine(doc, "<any key>", s.additionalProperties, false));
    return list;
  }
  function schemaBlock(doc, mediaType, schema) {
    const block = el("div");
    block.append(el("code", null, mediaType), " ", el("span", "type", typeLabel(doc, schema)));
    const tree = schemaTree(doc, schema, 0, []);
    if (tree) block.append(tree);
    return block;
  }
  function parametersTable(doc, parameters) {
    const table = el("table");
    const head = el("tr");
    for (const title of ["Name", "In", "Type", "Description"]) head.append(el("th", null, title));
    table.append(head);
    for (const given of parameters) {
      const p = given.$ref ? component(doc, "parameters", given.$ref) : given;
      const schema = p.schema || {};
      const shown = deref(doc, schema);
      const row = el("tr");
      const name = el("td");
      name.append(el("code", null, p.name));
      if (p.required) name.append(" ", el("span", "req", "required"));
      const description = el("td", null, p.description || shown.description || "");
      const limits = constraints(shown);
      if (limits) description.append(" ", el("span", "constraints", "(" + limits + ")"));
      row.append(name, el("td", null, p.in), el("td", "type", typeLabel(doc, schema)), description);
      table.append(row);
    }
    return table;
  }
  function operation(doc, path, method, op, shared) {
    const details = el("details", "op");
    const summary = el("summary");
    summary.append(el("span", "method m-" + method, method.toUpperCase()), el("span", "path", path),
      el("span", "summary", op.summary || ""));
    details.append(summary);
    const body = el("div", "op-body");
    if (op.description) body.append(el("p", null, op.description));
    if (Array.isArray(op.security) && op.security.length > 0) {
      body.append(el("p", "auth", "Authentication: bearer token"));
    }
    const parameters = shared.concat(op.parameters || []);
    if (parameters.length > 0) body.append(el("h4", null, "Parameters"), parametersTable(doc, parameters));
    if (op.requestBody) {
      const request = op.requestBody.$ref ? component(doc, "requestBodies", op.requestBody.$ref) : op.requestBody;
      body.append(el("h4", null, "Request body" + (request.required ? " (required)" : "")));
      for (const [mediaType, media] of Object.entries(request.content || {})) {
        body.append(schemaBlock(doc, mediaType, media.schema));
      }
    }
    body.append(el("h4", null, "Responses"));
    for (const [status, given] of Object.entries(op.responses || {})) {
      const response = given.$ref ? component(doc, "responses", given.$ref) : given;
      const block = el("div");
      block.append(el("span", "status", status), el("span", null, response.description || ""));
      for (const [mediaType, media] of Object.entries(response.content || {})) {
        block.append(schemaBlock(doc, mediaType, media.schema));
      }
      body.append(block);
    }
    details.append(body);
    details.dataset.search = (method + " " + path + " " + (op.summary || "")).toLowerCase();
    return details;
  }
  function render(doc) {
    document.title = (doc.info && doc.info.title ? doc.info.title : "API") + " reference";
    if (doc.info) info.textContent = "Version " + doc.info.version + ". " + (doc.info.description || "");
    const groups = new Map();
    for (const tag of doc.tags || []) groups.set(tag.name, []);
    for (const [path, item] of Object.entries(doc.paths || {})) {
      for (const method of METHODS) {
        const op = item[method];
        if (!op) continue;
        const tag = (op.tags && op.tags[0]) || "other";
        if (!groups.has(tag)) groups.set(tag, []);
        groups.get(tag).push(operation(doc, path, method, op, item.parameters || []));
      }
    }
    app.textContent = "";
    for (const [tag, ops] of groups) {
      if (ops.length === 0) continue;
      const section = el("details", "tag");
      section.open = true;
      section.append(el("summary", null, tag + " (" + ops.length + ")"));
      for (const op of ops) section.append(op);
      app.append(section);
    }
  }
  filter.addEventListener("input", () => {
    const needle = filter.value.trim().toLowerCase();
    for (const section of app.querySelectorAll("details.tag")) {
      let visible = 0;
      for (const op of section.querySelectorAll("details.op")) {
        op.hidden = needle !== "" && !op.dataset.search.includes(needle);
        if (!op.hidden) visible += 1;
      }
      section.hidden = visible === 0;
    }
  });
  fetch(app.dataset.source, { headers: { accept: "application/json" } })
    .then((res) => {
      if (!res.ok) throw new Error("HTTP " + res.status);
      return res.json();
    })
    .then(render)
    .catch((error) => {
      app.textContent = "";
      app.append(el("p", "error", "Could not load the OpenAPI document: " + error.message));
    });
})();
`;

function cspHash(source: string): string {
  return `'sha256-${createHash("sha256").update(source, "utf8").digest("base64")}'`;
}

/** The reference page: one self-contained document (no CDN), its inline style and script allowed by hash. */
export const referencePage = {
  html: `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Quarry API reference</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>Quarry API reference</h1>
<p id="info">The OpenAPI 3.1 document is at <a href="${OPENAPI_JSON_PATH}">${OPENAPI_JSON_PATH}</a>.</p>
<input id="filter" type="search" placeholder="Filter by method, path or summary" aria-label="Filter operations">
</header>
<main id="app" data-source="${OPENAPI_JSON_PATH}"><p class="muted">Loading the OpenAPI document…</p></main>
<noscript><p>This page needs JavaScript; the raw document is at ${OPENAPI_JSON_PATH}.</p></noscript>
<script>${SCRIPT}</script>
</body>
</html>
`,
  headers: {
    "Content-Security-Policy": [
      "default-src 'none'",
      `script-src ${cspHash(SCRIPT)}`,
      `style-src ${cspHash(STYLE)}`,
      "connect-src 'self'",
      "img-src 'self' data:",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join("; "),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
  },
};
