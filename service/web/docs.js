// A small offline reader for /openapi.json (Swagger UI would load its scripts from a CDN).
"use strict";

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) el.setAttribute(k, v);
  for (const c of children.flat()) if (c !== null && c !== undefined) el.append(c instanceof Node ? c : String(c));
  return el;
}

function typeOf(schema) {
  if (!schema) return "";
  if (schema.$ref) return schema.$ref.split("/").pop();
  if (schema.enum) return schema.enum.join(" | ");
  if (schema.anyOf) return schema.anyOf.map(typeOf).join(" | ");
  if (schema.type === "array") return typeOf(schema.items) + "[]";
  return schema.type || "";
}

function operation(path, method, op) {
  const box = h("section", { class: "op" },
    h("h3", {}, h("span", { class: "method m-" + method }, method.toUpperCase()), path),
    op.summary ? h("p", {}, op.summary) : null);
  const params = op.parameters || [];
  if (params.length) {
    box.append(h("table", {}, h("tr", {}, h("th", {}, "参数"), h("th", {}, "位置"), h("th", {}, "类型"), h("th", {}, "必填")),
      params.map((p) => h("tr", {}, h("td", {}, p.name), h("td", {}, p.in), h("td", {}, typeOf(p.schema)),
        h("td", {}, p.required ? "是" : "否")))));
  }
  if (op.requestBody) {
    const bodies = Object.entries(op.requestBody.content || {}).map(([t, c]) => `${t}: ${typeOf(c.schema)}`);
    box.append(h("p", {}, "请求体：" + bodies.join("；")));
  }
  const res = Object.entries(op.responses || {}).map(([code, r]) => {
    const types = Object.entries(r.content || {}).map(([t, c]) => (c.schema ? `${t} ${typeOf(c.schema)}` : t));
    return h("tr", {}, h("td", {}, code), h("td", {}, r.description || ""), h("td", {}, types.join("，")));
  });
  box.append(h("table", {}, h("tr", {}, h("th", {}, "状态"), h("th", {}, "说明"), h("th", {}, "内容")), res));
  return box;
}

document.addEventListener("DOMContentLoaded", async () => {
  const spec = await (await fetch("/openapi.json")).json();
  document.getElementById("intro").textContent = `${spec.info.title} ${spec.info.version} — ${spec.info.description || ""}`;
  const ops = document.getElementById("ops");
  for (const [path, methods] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(methods)) ops.append(operation(path, method, op));
  }
  const schemas = document.getElementById("schemas");
  for (const [name, schema] of Object.entries((spec.components || {}).schemas || {})) {
    schemas.append(h("details", {}, h("summary", {}, name), h("pre", {}, JSON.stringify(schema, null, 2))));
  }
});
