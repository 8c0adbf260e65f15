"""Renderings of a review for people: terminal table, Markdown, HTML, Word."""
from __future__ import annotations

import html
import io

STATUS_ZH = {"satisfied": "满足", "weak": "薄弱", "conflicting": "冲突", "missing": "缺失"}
SEVERITY_ZH = {"high": "高", "medium": "中", "low": "低"}
VERDICT_ZH = {"pass": "通过", "needs-revision": "需修改", "fail": "不通过"}
STATUS_STYLE = {"satisfied": "green", "weak": "yellow", "conflicting": "bold red", "missing": "magenta"}
ORDER = {"conflicting": 0, "missing": 1, "weak": 2, "satisfied": 3}
SEV_ORDER = {"high": 0, "medium": 1, "low": 2}


def _sorted(findings: list[dict]) -> list[dict]:
    return sorted(findings, key=lambda f: (ORDER[f["status"]], SEV_ORDER[f["severity"]]))


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _where(ev: dict) -> str:
    loc = ev["location"]
    parts = [loc.get("article") or "", f"第{loc['page']}页" if loc.get("page") else ""]
    return " ".join(p for p in parts if p) or f"字符{loc['start']}"


def header_lines(review: dict) -> list[str]:
    d, s = review["document"], review["summary"]
    lines = [f"文件：{d['name']}（{d['format']}，{d['characters']}字" + (f"，{d['pages']}页" if d.get("pages") else "") + "）",
             f"审查模板：{review['profile']}" + ("（自动选择）" if review.get("profile_auto") else ""),
             f"结论：{VERDICT_ZH.get(s.get('verdict'), s.get('verdict'))}　满足 {s['satisfied']}　薄弱 {s['weak']}　"
             f"冲突 {s['conflicting']}　缺失 {s['missing']}"]
    lines += [f"提示：{w}" for w in d.get("warnings", [])]
    return lines


def render_table(review: dict, console) -> None:
    from rich.table import Table

    for line in header_lines(review):
        console.print(line, highlight=False)
    table = Table(show_lines=True, expand=True)
    for col, kw in (("状态", {"no_wrap": True}), ("要求", {}), ("级别", {"no_wrap": True}), ("理由", {}), ("依据条文", {})):
        table.add_column(col, **kw)
    for f in _sorted(review["findings"]):
        ev = f["evidence"][0] if f["evidence"] else f.get("nearest")
        where = f"{_where(ev)}：{_short(ev['text'])}" if ev else "—"
        if not f["evidence"] and ev:
            where = "最接近：" + where
        table.add_row(f"[{STATUS_STYLE[f['status']]}]{STATUS_ZH[f['status']]}[/]", f"{f['title']}\n[dim]{f['requirement']}[/]",
                      SEVERITY_ZH[f["severity"]], "；".join(f["reasons"]), where)
    console.print(table)


def render_markdown(review: dict) -> str:
    out = [f"# 合同安全条款审查：{review['document']['name']}", ""]
    out += [f"- {line}" for line in header_lines(review)] + [""]
    for f in _sorted(review["findings"]):
        out.append(f"## [{STATUS_ZH[f['status']]}] {f['title']}（{f['requirement']}，{SEVERITY_ZH[f['severity']]}）")
        out += [f"- 理由：{r}" for r in f["reasons"]]
        for ev in f["evidence"]:
            out.append(f"- 条文（{_where(ev)}）：> {ev['text']}")
        out += [f"- 政策依据：{s}" for s in f.get("sources", [])]
        if f.get("suggestion"):
            out.append(f"- 建议措辞：{f['suggestion']}")
        out.append("")
    return "\n".join(out)


def render_html(review: dict) -> str:
    e = html.escape
    rows = []
    for f in _sorted(review["findings"]):
        evs = "".join(f"<blockquote><small>{e(_where(ev))}</small> {e(ev['text'])}</blockquote>" for ev in f["evidence"])
        srcs = "".join(f"<li>{e(s)}</li>" for s in f.get("sources", []))
        sug = f"<p><b>建议措辞：</b>{e(f['suggestion'])}</p>" if f.get("suggestion") else ""
        rows.append(f"<section class='{f['status']}'><h2>[{STATUS_ZH[f['status']]}] {e(f['title'])} "
                    f"<small>{e(f['requirement'])}·{SEVERITY_ZH[f['severity']]}</small></h2>"
                    f"<ul>{''.join(f'<li>{e(r)}</li>' for r in f['reasons'])}</ul>{evs}"
                    f"<details><summary>政策依据</summary><ul>{srcs}</ul></details>{sug}</section>")
    head = "".join(f"<p>{e(line)}</p>" for line in header_lines(review))
    style = ("body{font-family:sans-serif;max-width:60em;margin:auto}section{border-left:6px solid #999;padding:0 1em;margin:1em 0}"
             ".satisfied{border-color:#2a7}.weak{border-color:#d90}.conflicting{border-color:#c22}.missing{border-color:#a3a}"
             "blockquote{background:#f4f4f4;margin:.3em 0;padding:.3em .6em}")
    return (f"<!doctype html><html lang='zh-CN'><meta charset='utf-8'><title>审查报告 {e(review['document']['name'])}</title>"
            f"<style>{style}</style><body><h1>合同安全条款审查报告</h1>{head}{''.join(rows)}</body></html>")


def render_docx(review: dict) -> bytes:
    from docx import Document

    doc = Document()
    doc.add_heading(f"合同安全条款审查报告：{review['document']['name']}", 0)
    for line in header_lines(review):
        doc.add_paragraph(line)
    for f in _sorted(review["findings"]):
        doc.add_heading(f"[{STATUS_ZH[f['status']]}] {f['title']}（{f['requirement']}）", 2)
        for r in f["reasons"]:
            doc.add_paragraph(r, style="List Bullet")
        for ev in f["evidence"]:
            doc.add_paragraph(f"{_where(ev)}：{ev['text']}", style="Intense Quote")
        if f.get("suggestion"):
            doc.add_paragraph("建议措辞：" + f["suggestion"])
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()
