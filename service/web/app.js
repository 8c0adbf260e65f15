// The review page. Plain DOM, no build step, nothing from outside this server. All text from the
// server or the contract goes in via textContent, never innerHTML.
"use strict";

const STATUS = { conflicting: "冲突", missing: "缺失", weak: "薄弱", satisfied: "满足" };
const STATUS_ORDER = ["conflicting", "missing", "weak", "satisfied"];
const SEVERITY = { high: "高", medium: "中", low: "低" };
const SEV_ORDER = { high: 0, medium: 1, low: 2 };
const VERDICT = { pass: "通过", "needs-revision": "需修改", fail: "不通过" };
const ROLE = { supports: "支持", weakens: "削弱", conflicts: "冲突" };
const ROLE_RANK = { conflicts: 3, weakens: 2, supports: 1, near: 0 };
const CHANGE = { regressed: "退步", fixed: "改进", unchanged: "未变" };
const CHANGE_ORDER = ["regressed", "fixed", "unchanged"];
const ACCEPT = /\.(docx|pdf|txt|doc|wps|ofd|md)$/i;

const $ = (id) => document.getElementById(id);
let current = null; // the review on screen
let chosenFile = null;
let profileTitles = {};
let selected = null; // index of the finding whose passages are marked
const view = { statuses: new Set(STATUS_ORDER), severity: "", sort: "status" }; // filter and sort
let comparison = null; // the comparison on screen

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
  clearResult(); // a failed upload must not leave the previous contract's result on screen
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

function clearResult() {
  current = null;
  selected = null;
  $("result").hidden = true;
  for (const id of ["findings", "doc-text", "counts", "warnings"]) $(id).replaceChildren();
  for (const id of ["doc-name", "doc-meta", "verdict", "filter-count"]) $(id).textContent = "";
  $("doc-text").scrollTop = 0;
  closeCompare();
  setUrl(null);
}

function setUrl(id) {
  const url = id ? `?review=${encodeURIComponent(id)}` : location.pathname;
  if ((location.search || location.pathname) !== url) history.replaceState(null, "", url);
}

function showReview(review) {
  const same = current && current.id === review.id;
  current = review;
  if (Array.isArray(review.feedback)) { // the stored review carries its corrections (GET /v1/reviews/{id})
    current.feedback = Object.fromEntries(review.feedback.map((it) => [it.requirement, it]));
  } else current.feedback = current.feedback || {};
  if (!same) { // a new document starts clean: no selection, text from the top, every finding shown
    selected = null;
    resetFilters();
    closeCompare();
  }
  setUrl(review.id);
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
  // the lawyer's own .docx with the review as Word comments: only when the upload was a .docx and kept
  for (const id of ["dl-annotated", "dl-redline"]) $(id).hidden = !review.annotated_available;
  renderFindings(review);
  renderText(review);
  $("doc-text").scrollTop = 0;
  $("findings").scrollTop = 0;
  $("result-h").focus({ preventScroll: true });
  $("result").scrollIntoView({ block: "start" }); // both panes fill the screen from here
}

function whereOf(ev) {
  const loc = ev.location || {};
  return [loc.article, loc.page ? `第${loc.page}页` : null].filter(Boolean).join(" ") || "条文";
}

function readFilters() {
  view.statuses = new Set([...document.querySelectorAll("input[name=filter-status]:checked")].map((i) => i.value));
  view.severity = $("filter-severity").value;
  view.sort = $("sort-by").value;
}

function resetFilters() {
  document.querySelectorAll("input[name=filter-status]").forEach((i) => { i.checked = true; });
  $("filter-severity").value = "";
  $("sort-by").value = "status";
  readFilters();
}

function applyFilters() {
  readFilters();
  if (current) renderFindings(current);
}

function isShown(f) {
  return view.statuses.has(f.status) && (!view.severity || f.severity === view.severity);
}

function firstOffset(f) {
  const starts = passages(f).map((l) => l && l.start).filter(Number.isInteger);
  return starts.length ? Math.min(...starts) : Infinity;
}

const cmp = (x, y) => (x === y ? 0 : x < y ? -1 : 1);

// Every finding is rendered; those filtered out are hidden on screen only, so printing gives them all.
function renderFindings(review) {
  const box = $("findings");
  box.replaceChildren();
  review.findings.forEach((f, i) => { f._index = i; });
  const byStatus = (a, b) => cmp(STATUS_ORDER.indexOf(a.status), STATUS_ORDER.indexOf(b.status));
  const bySeverity = (a, b) => cmp(SEV_ORDER[a.severity], SEV_ORDER[b.severity]);
  const byIndex = (a, b) => a._index - b._index;
  let groups;
  if (view.sort === "severity") {
    groups = Object.keys(SEV_ORDER).map((s) => ({ label: `${SEVERITY[s]}风险`, cls: "sev-" + s,
      items: review.findings.filter((f) => f.severity === s).sort((a, b) => byStatus(a, b) || byIndex(a, b)) }));
  } else if (view.sort === "position") {
    groups = [{ label: null, items: [...review.findings].sort((a, b) => cmp(firstOffset(a), firstOffset(b)) || byIndex(a, b)) }];
  } else {
    groups = STATUS_ORDER.map((s) => ({ label: STATUS[s], cls: "s-" + s,
      items: review.findings.filter((f) => f.status === s).sort((a, b) => bySeverity(a, b) || byIndex(a, b)) }));
  }
  let shown = 0;
  for (const g of groups) {
    if (!g.items.length) continue;
    const n = g.items.filter(isShown).length;
    shown += n;
    const sec = h("section", { class: n ? "group" : "group filtered-out", "aria-label": g.label || "全部意见" });
    if (g.label) {
      sec.append(h("h3", { class: "group-h" }, h("span", { class: "badge " + g.cls }, g.label),
        n === g.items.length ? ` ${n} 项` : ` ${n} / ${g.items.length} 项`));
    }
    for (const f of g.items) {
      const card = findingCard(f);
      if (!isShown(f)) card.classList.add("filtered-out");
      sec.append(card);
    }
    box.append(sec);
  }
  if (!shown) box.append(h("p", { class: "muted no-match" }, "没有符合筛选条件的意见。请调整上方的状态或风险等级。"));
  const total = review.findings.length;
  $("filter-count").textContent = shown === total ? `共 ${total} 项` : `显示 ${shown} / ${total} 项`;
  if (selected !== null && $("finding-" + selected)) $("finding-" + selected).classList.add("selected");
}

function findingCard(f) {
  const id = "finding-" + f._index;
  const fb = current.feedback && current.feedback[f.requirement];
  const card = h("article", { class: `finding st-${f.status}${fb ? " has-feedback" : ""}`, id,
    dataset: { index: f._index, requirement: f.requirement } });
  card.append(h("button", { type: "button", class: "finding-title", "aria-controls": "doc-text",
    onclick: () => selectFinding(f._index, 0) },
  h("span", { class: "t" }, f.title, " ", h("span", { class: "req-id" }, f.requirement)),
  h("span", { class: `badge sev-${f.severity}` }, `${SEVERITY[f.severity]}风险`),
  h("span", { class: "badge s-" + f.status }, STATUS[f.status]),
  fb ? h("span", { class: "badge corrected s-" + fb.status }, `已更正为${STATUS[fb.status]}`) : null));
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
    const pack = f.pack ? `（规则包 ${f.pack.name} ${f.pack.version}）` : "";
    card.append(h("details", {}, h("summary", {}, `政策依据${pack}`), h("ul", {}, f.sources.map((s) => h("li", {}, s)))));
  }
  if (f.suggestion && f.status !== "satisfied") {
    card.append(h("div", { class: "suggestion" },
      h("div", { class: "row" }, h("span", { class: "label" }, "建议措辞"),
        h("button", { type: "button", class: "small", onclick: (e) => copyText(f.suggestion, e.currentTarget) }, "复制")),
      h("blockquote", {}, f.suggestion)));
  }
  card.append(feedbackBlock(f));
  return card;
}

// ---- reviewer feedback: mark a finding wrong, with the right status and a note ----

function feedbackBlock(f) {
  const fb = current.feedback && current.feedback[f.requirement];
  const wrap = h("div", { class: "feedback" });
  const form = feedbackForm(f, fb);
  if (fb) {
    const when = fb.updated_at ? new Date(fb.updated_at).toLocaleString("zh-CN") : "";
    wrap.append(h("div", { class: "fb-note" },
      h("p", {}, h("strong", {}, "审查人更正："), `${STATUS[fb.status]}（原结论：${STATUS[fb.original_status]}）`,
        h("span", { class: "muted" }, [fb.by, when].filter(Boolean).length ? ` · ${[fb.by, when].filter(Boolean).join(" · ")}` : "")),
      fb.note ? h("blockquote", {}, fb.note) : null,
      h("div", { class: "fb-actions no-print" },
        h("button", { type: "button", class: "small", onclick: () => toggleForm(form, true) }, "修改更正"),
        h("button", { type: "button", class: "small danger", onclick: () => withdrawFeedback(f) }, "撤销更正"))));
  } else {
    wrap.append(h("button", { type: "button", class: "small fb-open no-print", "aria-expanded": "false",
      onclick: (e) => toggleForm(form, form.hidden, e.currentTarget) }, "标记有误"));
  }
  wrap.append(form);
  return wrap;
}

function feedbackForm(f, fb) {
  const others = STATUS_ORDER.filter((s) => s !== f.status);
  const select = h("select", { name: "status" }, others.map((s) =>
    h("option", { value: s, selected: fb ? fb.status === s : false }, STATUS[s])));
  const note = h("textarea", { name: "note", rows: "3", maxlength: "2000", placeholder: "为什么原结论不对（可引用合同条文）" });
  note.value = (fb && fb.note) || "";
  const err = h("p", { class: "error fb-error", role: "alert", hidden: true });
  const form = h("form", { class: "fb-form no-print", hidden: true, novalidate: true },
    h("p", { class: "label" }, `原结论：${STATUS[f.status]}。请给出正确的状态：`),
    h("label", {}, "正确的状态 ", select),
    h("label", { class: "fb-note-label" }, "备注（可选）", note),
    err,
    h("div", { class: "fb-actions" },
      h("button", { type: "submit", class: "small primary" }, "保存更正"),
      h("button", { type: "button", class: "small", onclick: () => toggleForm(form, false) }, "取消")));
  form.addEventListener("submit", (e) => { e.preventDefault(); saveFeedback(f, select.value, note.value, err); });
  return form;
}

function toggleForm(form, open, opener) {
  form.hidden = !open;
  const button = opener || form.parentElement.querySelector(".fb-open");
  if (button) button.setAttribute("aria-expanded", String(open));
  if (open) form.querySelector("select").focus();
}

function redrawCard(f) {
  const old = $("finding-" + f._index);
  if (!old) return;
  const card = findingCard(f);
  for (const c of ["filtered-out", "selected"]) if (old.classList.contains(c)) card.classList.add(c);
  old.replaceWith(card);
  return card;
}

async function saveFeedback(f, status, note, err) {
  err.hidden = true;
  const review = current;
  let resp;
  try {
    resp = await api(`/v1/reviews/${encodeURIComponent(review.id)}/feedback`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ requirement: f.requirement, status, note: note.trim() || null }),
    });
  } catch (e) {
    resp = null;
  }
  if (!resp || !resp.ok) {
    err.textContent = resp ? await problemText(resp) : "网络错误，无法保存更正。";
    err.hidden = false;
    return;
  }
  const item = await resp.json();
  if (current !== review) return;
  current.feedback[f.requirement] = item;
  const card = redrawCard(f);
  if (card) card.querySelector(".fb-note").setAttribute("tabindex", "-1");
  setStatus(`已记录更正：“${f.title}”应为${STATUS[item.status]}（原结论${STATUS[item.original_status]}）。`);
}

async function withdrawFeedback(f) {
  const review = current;
  const resp = await api(`/v1/reviews/${encodeURIComponent(review.id)}/feedback/${encodeURIComponent(f.requirement)}`,
    { method: "DELETE" });
  if (resp.status !== 204 && resp.status !== 404) { showError(await problemText(resp)); return; }
  if (current !== review) return;
  delete current.feedback[f.requirement];
  redrawCard(f);
  setStatus(`已撤销对“${f.title}”的更正。`);
}

async function loadFeedback(review) {
  let resp;
  try { resp = await api(`/v1/reviews/${encodeURIComponent(review.id)}/feedback`); } catch (e) { return; }
  if (!resp.ok || current !== review) return;
  const data = await resp.json();
  if (current !== review) return;
  current.feedback = Object.fromEntries(data.items.map((it) => [it.requirement, it]));
  if (data.items.length) renderFindings(current);
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
      dataset: { keys: covering.map((r) => `${r.f}:${r.j}`).join(" "), findings: covering.map((r) => r.f).join(" "),
        roles: covering.map((r) => `${r.f}:${r.role}`).join(" "),
        starts: covering.filter((r) => r.start === a).map((r) => r.f).join(" ") },
      title: covering.map((r) => `${review.findings[r.f].title}（${ROLE[r.role] || "最接近的条文"}）`).join("；"),
      onclick: () => focusFinding(covering[0].f),
    }, piece));
  }
}

function selectFinding(index, j) {
  const box = $("doc-text");
  document.querySelectorAll(".finding.selected").forEach((el) => el.classList.remove("selected"));
  const card = $("finding-" + index);
  if (card) card.classList.add("selected");
  selected = index;
  box.querySelectorAll("mark.active").forEach((m) => {
    m.classList.remove("active", "ev-start", ...Object.keys(ROLE_RANK).map((r) => "active-" + r));
    delete m.dataset.role;
    delete m.dataset.roleLabel;
  });
  const marks = [...box.querySelectorAll("mark.ev")]
    .filter((m) => m.dataset.findings.split(" ").includes(String(index)));
  for (const m of marks) { // the role this passage plays for this finding, not for the others sharing it
    const own = m.dataset.roles.split(" ").filter((x) => x.split(":")[0] === String(index)).map((x) => x.split(":")[1]);
    const role = own.reduce((best, r) => (ROLE_RANK[r] > ROLE_RANK[best] ? r : best), "near");
    m.classList.add("active", "active-" + role);
    m.dataset.role = role;
    if (m.dataset.starts.split(" ").includes(String(index))) {
      m.classList.add("ev-start");
      m.dataset.roleLabel = ROLE[role] || "最接近";
    }
  }
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
  const byRole = Object.keys(ROLE).map((r) => [r, (f.evidence || []).filter((ev) => (ev.role || "supports") === r).length])
    .filter(([, n]) => n).map(([r, n]) => `${ROLE[r]} ${n} 处`);
  setStatus(`已在原文中标出“${f.title}”的依据条文（${byRole.join("、") || "最接近的条文"}）。`);
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

async function download(format, options = {}, suffix = null) {
  if (!current) return;
  const query = new URLSearchParams({ format, ...options });
  const resp = await api(`/v1/reviews/${encodeURIComponent(current.id)}/report?${query}`);
  if (!resp.ok) { showError(await problemText(resp)); return; }
  const blob = await resp.blob();
  const stem = current.document.name.replace(/\.[^.]+$/, "") || "review";
  const label = suffix || `审查${format === "json" ? "" : "报告"}`;
  const a = h("a", { href: URL.createObjectURL(blob), download: `${stem}-${label}.${format}` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

// ---- comparing with the next draft ----

function setupCompare() {
  $("compare-open").addEventListener("click", openCompare);
  $("compare-close").addEventListener("click", () => { closeCompare(); $("compare-open").focus(); });
  $("compare-file").addEventListener("change", () => {
    const file = $("compare-file").files[0];
    showCompareError("");
    $("compare-file-name").textContent = file ? `已选择：${file.name}（${(file.size / 1048576).toFixed(2)} MB）` : "";
    if (file && !ACCEPT.test(file.name)) {
      showCompareError(`不支持的文件类型：${file.name}。请选择 .docx .pdf .txt .doc .wps .ofd 文件。`);
      $("compare-submit").disabled = true;
      return;
    }
    $("compare-submit").disabled = !file;
  });
  $("compare-form").addEventListener("submit", submitCompare);
  $("compare-changed-only").addEventListener("change", () => { if (comparison) renderComparison(comparison); });
  $("compare-open-new").addEventListener("click", () => {
    if (comparison && comparison.new.id) openReview(comparison.new.id);
  });
}

function showCompareError(text) {
  $("compare-error").textContent = text || "";
  $("compare-error").hidden = !text;
}

function openCompare() {
  if (!current) return;
  const panel = $("compare");
  panel.hidden = false;
  $("compare-open").setAttribute("aria-expanded", "true");
  $("compare-profile").textContent = current.profile_title || profileTitles[current.profile] || current.profile;
  panel.scrollIntoView({ block: "start" });
  $("compare-h").focus({ preventScroll: true });
}

function closeCompare() {
  comparison = null;
  $("compare").hidden = true;
  $("compare-open").setAttribute("aria-expanded", "false");
  $("compare-form").reset();
  $("compare-file-name").textContent = "";
  $("compare-submit").disabled = true;
  $("compare-result").hidden = true;
  $("compare-rows").replaceChildren();
  $("compare-warnings").replaceChildren();
  $("compare-status").textContent = "";
  showCompareError("");
}

async function submitCompare(e) {
  e.preventDefault();
  const file = $("compare-file").files[0];
  if (!file || !current) return;
  const old = current;
  const form = new FormData();
  form.append("new", file, file.name);
  form.append("old_review", old.id);
  if ($("compare-keep").checked) form.append("keep", "true");
  showCompareError("");
  comparison = null;
  $("compare-result").hidden = true;
  $("compare-submit").disabled = true;
  $("compare-status").textContent = "正在审查新一稿并逐项比较…";
  try {
    let resp;
    try {
      resp = await api("/v1/compare", { method: "POST", body: form });
    } catch (err) {
      throw new Error("网络错误，无法连接服务器。");
    }
    if (!resp.ok) throw new Error(await problemText(resp));
    const body = await resp.json();
    if (current !== old) return;
    comparison = body;
    renderComparison(body);
    const c = body.counts;
    $("compare-status").textContent = `比较完成：改进 ${c.fixed} 项，退步 ${c.regressed} 项，未变 ${c.unchanged} 项。` +
      (body.different_contracts ? "注意：两份文件可能不是同一份合同。" : "");
    loadRecent();
  } catch (err) {
    showCompareError(err.message);
    $("compare-status").textContent = "比较未完成。";
  } finally {
    $("compare-submit").disabled = !$("compare-file").files[0];
  }
}

function evidenceList(side) {
  const list = side.evidence || [];
  if (!list.length) return [h("p", { class: "muted" }, side.status === "missing" ? "（未找到相关条文）" : "（无依据条文）")];
  return list.map((ev) => h("p", { class: `cmp-ev role-${ev.role || "supports"}` },
    h("span", { class: "where" }, `${whereOf(ev)} · ${ROLE[ev.role] || "相关"}`), ev.text));
}

function renderComparison(c) {
  $("compare-result").hidden = false;
  $("compare-warnings").replaceChildren(...c.warnings.map((w) => h("li", {}, w)));
  const parts = CHANGE_ORDER.map((k) => h("span", { class: "badge ch-" + k }, `${CHANGE[k]} ${c.counts[k]}`));
  const sim = c.similarity === null || c.similarity === undefined ? "" : ` · 两稿文字相似度 ${Math.round(c.similarity * 100)}%`;
  $("compare-summary").replaceChildren(...parts,
    ` 审查模板：${c.profile_title || profileTitles[c.profile] || c.profile} · 上一稿：${c.old.name} · 新一稿：${c.new.name}${sim}`);
  const onlyChanged = $("compare-changed-only").checked;
  const rows = c.changes.map((r, i) => ({ ...r, _i: i }))
    .filter((r) => !onlyChanged || r.change !== "unchanged")
    .sort((a, b) => cmp(CHANGE_ORDER.indexOf(a.change), CHANGE_ORDER.indexOf(b.change)) || a._i - b._i);
  $("compare-rows").replaceChildren(...rows.map((r) => h("article", { class: `cmp-row ch-${r.change}`, dataset: { requirement: r.requirement } },
    h("div", { class: "cmp-title" },
      h("span", { class: "badge ch-" + r.change }, CHANGE[r.change]),
      h("span", { class: "t" }, r.title, " ", h("span", { class: "req-id" }, r.requirement)),
      h("span", { class: "cmp-status" }, h("span", { class: "badge s-" + r.old.status }, STATUS[r.old.status]), " → ",
        h("span", { class: "badge s-" + r.new.status }, STATUS[r.new.status]))),
    h("div", { class: "cmp-sides" },
      h("div", { class: "cmp-side old" }, h("h4", {}, "上一稿"), ...evidenceList(r.old)),
      h("div", { class: "cmp-side new" }, h("h4", {}, "新一稿"), ...evidenceList(r.new))))));
  if (!rows.length) $("compare-rows").append(h("p", { class: "muted" }, "两稿各项要求的结论都没有变化。"));
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
  if (!resp.ok) { clearResult(); showError(await problemText(resp)); loadRecent(); return; }
  const review = await resp.json();
  showReview(review);
  setStatus("已打开审查记录。");
  if (!Array.isArray(review.feedback)) await loadFeedback(review); // an older server: ask separately
}

async function deleteReview(it) {
  if (!window.confirm(`确定删除“${it.name}”的审查记录吗？删除后无法恢复。`)) return;
  const resp = await api(`/v1/reviews/${encodeURIComponent(it.id)}`, { method: "DELETE" });
  if (resp.status !== 204 && resp.status !== 404) { showError(await problemText(resp)); return; }
  if (current && current.id === it.id) clearResult();
  setStatus(`已删除“${it.name}”的审查记录。`);
  loadRecent();
}

async function loadProfiles() {
  const resp = await api("/v1/profiles");
  if (!resp.ok) { showError(await problemText(resp)); return; }
  const data = await resp.json();
  const sel = $("profile");
  // one group per rule pack (built-in, shipped, the department's own), in load order
  const groups = {};
  for (const pk of data.packs || []) {
    // the title before its parenthesis: a select is as wide as its longest label
    groups[pk.name] = h("optgroup", { label: `规则包：${pk.title.split("（")[0]}（${pk.name} ${pk.version}）` });
    sel.append(groups[pk.name]);
  }
  for (const p of data.profiles) {
    profileTitles[p.id] = p.title;
    (groups[p.pack] || sel).append(h("option", { value: p.id }, `${p.title}（${p.requirements.length} 项要求）`));
  }
}

document.addEventListener("DOMContentLoaded", async () => {
  setupDrop();
  $("upload-form").addEventListener("submit", submitReview);
  $("token-cancel").addEventListener("click", () => $("token-dialog").close(""));
  $("dl-json").addEventListener("click", () => download("json"));
  $("dl-html").addEventListener("click", () => download("html"));
  $("dl-docx").addEventListener("click", () => download("docx", { kind: "memo" }));
  $("dl-annotated").addEventListener("click", () => download("docx", { kind: "annotated" }, "审查批注"));
  $("dl-redline").addEventListener("click", () => download("docx", { kind: "annotated", redline: "true" }, "审查批注及修订"));
  $("print").addEventListener("click", () => window.print());
  document.querySelectorAll("input[name=filter-status]").forEach((i) => i.addEventListener("change", applyFilters));
  $("filter-severity").addEventListener("change", applyFilters);
  $("sort-by").addEventListener("change", applyFilters);
  setupCompare();
  await loadProfiles();
  loadRecent();
  const wanted = new URLSearchParams(location.search).get("review"); // a link from a batch, or a reload
  if (wanted) await openReview(wanted);
});
