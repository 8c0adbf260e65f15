// The review page. Plain DOM, no build step, nothing from outside this server. All text from the
// server or the contract goes in via textContent, never innerHTML.
"use strict";

const STATUS = { conflicting: "冲突", missing: "缺失", weak: "薄弱", satisfied: "满足" };
const STATUS_ORDER = ["conflicting", "missing", "weak", "satisfied"];
const SEVERITY = { high: "高", medium: "中", low: "低" };
const SEV_ORDER = { high: 0, medium: 1, low: 2 };
const VERDICT = { pass: "通过", "needs-revision": "需修改", fail: "不通过" };
const ROLE = { supports: "支持", weakens: "削弱", conflicts: "冲突" };
const ACCEPT = /\.(docx|pdf|txt|doc|wps|ofd|md)$/i;

const $ = (id) => document.getElementById(id);
let current = null; // the review on screen
let chosenFile = null;
let profileTitles = {};

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") el.className = v;
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// ---- talking to the API (bearer token kept for this tab only) ----

function authHeaders() {
  const t = sessionStorage.getItem("clausecheck-token");
  return t ? { Authorization: "Bearer " + t } : {};
}

async function problemText(resp) {
  try {
    const p = await resp.json();
    if (p && p.detail) return p.detail;
  } catch (e) { /* not JSON */ }
  return `请求失败（HTTP ${resp.status}）。`;
}

async function api(path, options = {}, retried = false) {
  const resp = await fetch(path, { ...options, headers: { ...authHeaders(), ...(options.headers || {}) } });
  if ((resp.status === 401 || resp.status === 403) && !retried) {
    const msg = await problemText(resp);
    if (await askToken(msg)) return api(path, options, true);
  }
  return resp;
}

function askToken(message) {
  const dlg = $("token-dialog");
  if (!dlg.showModal) return Promise.resolve(false);
  $("token-msg").textContent = message;
  $("token-input").value = "";
  return new Promise((resolve) => {
    const done = (ok) => {
      dlg.removeEventListener("close", onClose);
      resolve(ok);
    };
    const onClose = () => {
      const v = $("token-input").value.trim();
      if (dlg.returnValue === "ok" && v) {
        sessionStorage.setItem("clausecheck-token", v);
        done(true);
      } else done(false);
    };
    dlg.addEventListener("close", onClose);
    dlg.returnValue = "";
    dlg.showModal();
  });
}

// ---- upload ----

function setStatus(text) { $("status").textContent = text; }

function showError(text) {
  const el = $("error");
  el.textContent = text || "";
  el.hidden = !text;
}

function chooseFile(file) {
  showError("");
  if (!file) return;
  if (!ACCEPT.test(file.name)) {
    showError(`不支持的文件类型：${file.name}。请选择 .docx .pdf .txt .doc .wps .ofd 文件。`);
    return;
  }
  chosenFile = file;
  $("file-name").textContent = `已选择：${file.name}（${(file.size / 1048576).toFixed(2)} MB）`;
  $("submit").disabled = false;
  setStatus(`已选择文件 ${file.name}，请点击“开始审查”。`);
}

function setupDrop() {
  const drop = $("drop");
  $("file").addEventListener("change", (e) => chooseFile(e.target.files[0]));
  for (const ev of ["dragenter", "dragover"]) {
    drop.addEventListener(ev, (e) => { e.preventDefault(); drop.classList.add("over"); });
  }
  for (const ev of ["dragleave", "drop"]) {
    drop.addEventListener(ev, (e) => { e.preventDefault(); drop.classList.remove("over"); });
  }
  drop.addEventListener("drop", (e) => chooseFile(e.dataTransfer.files[0]));
  // a drop anywhere else would make the browser open the file and leave the page
  window.addEventListener("dragover", (e) => e.preventDefault());
  window.addEventListener("drop", (e) => e.preventDefault());
}

function progress(show, percent, text) {
  $("progress").hidden = !show;
  const bar = $("progress-bar");
  if (percent === null) bar.removeAttribute("value"); else bar.value = percent;
  $("progress-text").textContent = text || "";
}

// XMLHttpRequest rather than fetch: only it reports upload progress.
function postReview(form, onUpload) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/v1/reviews");
    for (const [k, v] of Object.entries(authHeaders())) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onUpload(e.loaded / e.total); };
    xhr.upload.onload = () => onUpload(1);
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch (e) { /* keep null */ }
      resolve({ status: xhr.status, body, retryAfter: xhr.getResponseHeader("Retry-After") });
    };
    xhr.onerror = () => reject(new Error("网络错误，无法连接服务器。"));
    xhr.send(form);
  });
}

async function submitReview(e) {
  e.preventDefault();
  if (!chosenFile) return;
  showError("");
  const form = new FormData();
  form.append("file", chosenFile, chosenFile.name);
  form.append("profile", $("profile").value);
  if ($("keep").checked) form.append("keep", "true");
  $("submit").disabled = true;
  const started = Date.now();
  let timer = null;
  setStatus("正在上传…");
  progress(true, 0, "正在上传 0%");
  const onUpload = (f) => {
    if (f < 1) { progress(true, Math.round(f * 100), `正在上传 ${Math.round(f * 100)}%`); return; }
    if (timer) return;
    setStatus("上传完成，正在审查…");
    const tick = () => progress(true, null, `正在审查…已用 ${Math.round((Date.now() - started) / 1000)} 秒`);
    tick();
    timer = setInterval(tick, 1000);
  };
  try {
    let r = await postReview(form, onUpload);
    if ((r.status === 401 || r.status === 403) && await askToken(r.body && r.body.detail || "需要访问令牌。")) {
      r = await postReview(form, onUpload);
    }
    if (r.status !== 200) {
      let msg = (r.body && r.body.detail) || `审查失败（HTTP ${r.status}）。`;
      if (r.retryAfter && r.status === 503) msg += `（建议 ${r.retryAfter} 秒后重试）`;
      throw new Error(msg);
    }
    showReview(r.body);
    setStatus(`审查完成：${VERDICT[r.body.summary.verdict] || ""}，共 ${r.body.findings.length} 项意见。`);
    loadRecent();
  } catch (err) {
    showError(err.message);
    setStatus("审查未完成。");
  } finally {
    clearInterval(timer);
    progress(false, 0, "");
    $("submit").disabled = false;
  }
}

// ---- the result ----

function showReview(review) {
  current = review;
  const doc = review.document;
  $("result").hidden = false;
  $("doc-name").textContent = doc.name;
  const title = review.profile_title || profileTitles[review.profile] || review.profile;
  const meta = [`审查模板：${title}${review.profile_auto ? "（自动选择）" : ""}`, `格式 ${doc.format}`,
    `${doc.characters} 字`];
  if (doc.pages) meta.push(`${doc.pages} 页`);
  if (review.created_at) meta.push(new Date(review.created_at).toLocaleString("zh-CN"));
  $("doc-meta").textContent = meta.join(" · ");
  const v = $("verdict");
  v.className = "verdict " + (review.summary.verdict || "");
  v.textContent = "结论：" + (VERDICT[review.summary.verdict] || "—");
  $("counts").replaceChildren(...STATUS_ORDER.map((s) =>
    h("li", { class: "s-" + s }, `${STATUS[s]} ${review.summary[s] ?? 0}`)));
  $("warnings").replaceChildren(...(doc.warnings || []).map((w) => h("li", {}, w)));
  renderFindings(review);
  renderText(review);
  $("result-h").focus({ preventScroll: true });
  $("result").scrollIntoView({ block: "start" }); // both panes fill the screen from here
}

function whereOf(ev) {
  const loc = ev.location || {};
  return [loc.article, loc.page ? `第${loc.page}页` : null].filter(Boolean).join(" ") || "条文";
}

function renderFindings(review) {
  const box = $("findings");
  box.replaceChildren();
  review.findings.forEach((f, i) => { f._index = i; });
  for (const status of STATUS_ORDER) {
    const group = review.findings.filter((f) => f.status === status)
      .sort((a, b) => SEV_ORDER[a.severity] - SEV_ORDER[b.severity]);
    if (!group.length) continue;
    const sec = h("section", { "aria-label": STATUS[status] },
      h("h3", { class: "group-h" }, h("span", { class: "badge s-" + status }, STATUS[status]), ` ${group.length} 项`));
    for (const f of group) sec.append(findingCard(f));
    box.append(sec);
  }
}

function findingCard(f) {
  const id = "finding-" + f._index;
  const card = h("article", { class: `finding st-${f.status}`, id, dataset: { index: f._index } });
  card.append(h("button", { type: "button", class: "finding-title", "aria-controls": "doc-text",
    onclick: () => selectFinding(f._index, 0) },
  h("span", { class: "t" }, f.title, " ", h("span", { class: "req-id" }, f.requirement)),
  h("span", { class: `badge sev-${f.severity}` }, `${SEVERITY[f.severity]}风险`),
  h("span", { class: "badge s-" + f.status }, STATUS[f.status])));
  if (f.reasons && f.reasons.length) card.append(h("ul", {}, f.reasons.map((r) => h("li", {}, r))));
  if (f.evidence && f.evidence.length) {
    card.append(h("p", { class: "label" }, "依据条文（点击定位到原文）"));
    f.evidence.forEach((ev, j) => card.append(h("button", {
      type: "button", class: `ev-link role-${ev.role || "supports"}`, onclick: () => selectFinding(f._index, j),
    }, h("span", { class: "where" }, `${whereOf(ev)} · ${ROLE[ev.role] || "相关"}`), ev.text)));
  } else if (f.nearest && f.nearest.text) {
    card.append(h("p", { class: "label" }, "最接近的条文（不足以满足要求）"));
    card.append(h("button", { type: "button", class: "ev-link", onclick: () => selectFinding(f._index, -1) },
      h("span", { class: "where" }, whereOf(f.nearest)), f.nearest.text));
  }
  if (f.looked_for && f.status === "missing") card.append(h("p", { class: "muted" }, "查找内容：" + f.looked_for));
  if (f.sources && f.sources.length) {
    card.append(h("details", {}, h("summary", {}, "政策依据"), h("ul", {}, f.sources.map((s) => h("li", {}, s)))));
  }
  if (f.suggestion && f.status !== "satisfied") {
    card.append(h("div", { class: "suggestion" },
      h("div", { class: "row" }, h("span", { class: "label" }, "建议措辞"),
        h("button", { type: "button", class: "small", onclick: (e) => copyText(f.suggestion, e.currentTarget) }, "复制")),
      h("blockquote", {}, f.suggestion)));
  }
  return card;
}

function passages(f) {
  const list = (f.evidence || []).map((ev) => ev.location);
  if (!list.length && f.nearest && f.nearest.location) list.push(f.nearest.location);
  return list;
}

// Evidence ranges may overlap; cut the text at every range edge and mark each piece with the
// findings that cover it.
function renderText(review) {
  const box = $("doc-text");
  const text = review.document_text;
  box.replaceChildren();
  if (!text) {
    box.classList.add("empty");
    box.textContent = "未保存此合同的原文（审查时未勾选“保存原文”），无法在原文中定位。各条意见中仍列出了所依据的条文。";
    return;
  }
  box.classList.remove("empty");
  const ranges = [];
  review.findings.forEach((f, i) => {
    (f.evidence || []).forEach((ev, j) => {
      const { start, end } = ev.location || {};
      if (Number.isInteger(start) && Number.isInteger(end) && start < end && end <= text.length) {
        ranges.push({ start, end, f: i, j, role: ev.role || "supports" });
      }
    });
    if (!(f.evidence || []).length && f.nearest && f.nearest.location) {
      const { start, end } = f.nearest.location;
      if (Number.isInteger(start) && Number.isInteger(end) && start < end && end <= text.length) {
        ranges.push({ start, end, f: i, j: -1, role: "near" });
      }
    }
  });
  const cuts = new Set([0, text.length]);
  for (const r of ranges) { cuts.add(r.start); cuts.add(r.end); }
  const points = [...cuts].sort((a, b) => a - b);
  const rank = { conflicts: 3, weakens: 2, supports: 1, near: 0 };
  for (let k = 0; k < points.length - 1; k++) {
    const a = points[k], b = points[k + 1];
    const piece = text.slice(a, b);
    const covering = ranges.filter((r) => r.start <= a && r.end >= b);
    if (!covering.length) { box.append(piece); continue; }
    // a missing finding's nearest passage is not evidence: marked only while that finding is selected
    const role = covering.reduce((best, r) => (rank[r.role] > rank[best] ? r.role : best), "near");
    box.append(h("mark", {
      class: `ev role-${role}`,
      dataset: { keys: covering.map((r) => `${r.f}:${r.j}`).join(" "), findings: covering.map((r) => r.f).join(" ") },
      title: covering.map((r) => review.findings[r.f].title).join("；"),
      onclick: () => focusFinding(covering[0].f),
    }, piece));
  }
}

function selectFinding(index, j) {
  const box = $("doc-text");
  document.querySelectorAll(".finding.selected").forEach((el) => el.classList.remove("selected"));
  const card = $("finding-" + index);
  if (card) card.classList.add("selected");
  box.querySelectorAll("mark.active").forEach((m) => m.classList.remove("active"));
  const marks = [...box.querySelectorAll("mark.ev")]
    .filter((m) => m.dataset.findings.split(" ").includes(String(index)));
  marks.forEach((m) => m.classList.add("active"));
  const f = current.findings[index];
  if (!marks.length) {
    setStatus(current.document_text ? `“${f.title}”没有可定位的条文。` : "未保存原文，无法定位。");
    return;
  }
  const key = `${index}:${j}`;
  const target = marks.find((m) => m.dataset.keys.split(" ").includes(key)) || marks[0];
  // scroll the text pane only, so the finding just clicked stays where it is
  const behavior = matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth";
  box.scrollIntoView({ block: "nearest", behavior });
  const r = target.getBoundingClientRect(), b = box.getBoundingClientRect();
  box.scrollBy({ top: r.top - b.top - (box.clientHeight - r.height) / 2, behavior });
  setStatus(`已在原文中标出“${f.title}”的依据条文（${marks.length} 处）。`);
}

function focusFinding(index) {
  const card = $("finding-" + index);
  if (!card) return;
  card.scrollIntoView({ block: "nearest", behavior: "smooth" });
  selectFinding(index, 0);
  card.querySelector(".finding-title").focus({ preventScroll: true });
}

async function copyText(text, button) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (e) {
    // plain http on an intranet address is not a secure context: no Clipboard API there
    const ta = h("textarea", { class: "sr-only" }, text);
    document.body.append(ta);
    ta.select();
    document.execCommand("copy");
    ta.remove();
  }
  button.textContent = "已复制";
  setStatus("建议措辞已复制到剪贴板。");
  setTimeout(() => { button.textContent = "复制"; }, 2000);
}

async function download(format) {
  if (!current) return;
  const resp = await api(`/v1/reviews/${encodeURIComponent(current.id)}/report?format=${format}`);
  if (!resp.ok) { showError(await problemText(resp)); return; }
  const blob = await resp.blob();
  const stem = current.document.name.replace(/\.[^.]+$/, "") || "review";
  const a = h("a", { href: URL.createObjectURL(blob), download: `${stem}-审查${format === "json" ? "" : "报告"}.${format}` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

// ---- recent reviews ----

async function loadRecent() {
  let resp;
  try { resp = await api("/v1/reviews?limit=30"); } catch (e) { return; }
  if (!resp.ok) return;
  const data = await resp.json();
  $("recent-count").textContent = `（${data.total}）`;
  $("recent-empty").hidden = data.items.length > 0;
  $("recent-table").hidden = data.items.length === 0;
  $("recent-body").replaceChildren(...data.items.map((it) => h("tr", {},
    h("td", {}, it.name, it.has_text ? "" : h("span", { class: "muted" }, "（未存原文）")),
    h("td", {}, new Date(it.created_at).toLocaleString("zh-CN")),
    h("td", {}, profileTitles[it.profile] || it.profile),
    h("td", {}, VERDICT[it.verdict] || it.verdict || "—"),
    h("td", { class: "ops" },
      h("button", { type: "button", class: "small", "aria-label": `打开 ${it.name}`, onclick: () => openReview(it.id) }, "打开"),
      h("button", { type: "button", class: "small danger", "aria-label": `删除 ${it.name}`, onclick: () => deleteReview(it) }, "删除")))));
}

async function openReview(id) {
  showError("");
  const resp = await api(`/v1/reviews/${encodeURIComponent(id)}`);
  if (!resp.ok) { showError(await problemText(resp)); loadRecent(); return; }
  showReview(await resp.json());
  setStatus("已打开审查记录。");
}

async function deleteReview(it) {
  if (!window.confirm(`确定删除“${it.name}”的审查记录吗？删除后无法恢复。`)) return;
  const resp = await api(`/v1/reviews/${encodeURIComponent(it.id)}`, { method: "DELETE" });
  if (resp.status !== 204 && resp.status !== 404) { showError(await problemText(resp)); return; }
  if (current && current.id === it.id) { current = null; $("result").hidden = true; }
  setStatus(`已删除“${it.name}”的审查记录。`);
  loadRecent();
}

async function loadProfiles() {
  const resp = await api("/v1/profiles");
  if (!resp.ok) { showError(await problemText(resp)); return; }
  const data = await resp.json();
  const sel = $("profile");
  for (const p of data.profiles) {
    profileTitles[p.id] = p.title;
    sel.append(h("option", { value: p.id }, `${p.title}（${p.requirements.length} 项要求）`));
  }
}

document.addEventListener("DOMContentLoaded", async () => {
  setupDrop();
  $("upload-form").addEventListener("submit", submitReview);
  $("token-cancel").addEventListener("click", () => $("token-dialog").close(""));
  $("dl-json").addEventListener("click", () => download("json"));
  $("dl-html").addEventListener("click", () => download("html"));
  $("dl-docx").addEventListener("click", () => download("docx"));
  await loadProfiles();
  loadRecent();
});
