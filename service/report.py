"""Renderings of a review for people: terminal table, Markdown, HTML, Word.

Everything a person reads is Chinese: statuses, severities and roles come from labels_zh, profiles
and requirements are named by their titles (ids only as small print), every evidence quote says what
it does (支持/削弱/冲突) and where it is (article, page), and each report says which policy a
requirement comes from, when the review was made and with which tool and rule-library version.
A document that does not look like a contract gets a prominent warning first."""
from __future__ import annotations

import html
import re

from . import labels_zh as zh
from .contract_check import flag_warning

# kept for callers that imported them from here; the words live in labels_zh
STATUS_ZH, SEVERITY_ZH, VERDICT_ZH = zh.STATUS, zh.SEVERITY, zh.VERDICT
STATUS_STYLE = {"satisfied": "green", "weak": "yellow", "conflicting": "bold red", "missing": "magenta"}
ORDER = zh.PROBLEM_FIRST
SEV_ORDER = zh.SEVERITY_ORDER
NOTE = "本报告由 clausecheck 自动生成，供法务人员复核参考，不构成法律意见。"


def _sorted(findings: list[dict]) -> list[dict]:
    return sorted(findings, key=lambda f: (ORDER.get(f["status"], 9), SEV_ORDER.get(f["severity"], 9)))


def _where(ev: dict) -> str:
    return zh.place(ev)


def _evidence_label(ev: dict) -> str:
    """【支持】第十二条 第3页"""
    return f"【{zh.role(ev.get('role'))}】{zh.place(ev)}"


def _nearest(f: dict) -> dict | None:
    return None if f.get("evidence") else f.get("nearest")


def warnings(review: dict) -> list[str]:
    """The document's warnings for people: the not-a-contract warning left out (it is shown on its
    own, first), profile ids replaced by titles."""
    doc = review.get("document") or {}
    first = flag_warning(review)
    pid, title = str(review.get("profile", "")), zh.profile_title(review)
    out = []
    for w in doc.get("warnings") or []:
        if w == first or (review.get("profile_auto") and str(w).startswith("自动选择审查模板")):
            continue  # shown on its own / the header already says the profile was chosen automatically
        w = str(w)
        if pid and title and title != pid:
            w = w.replace(f"{pid}（{title}）", title).replace(pid, title)
        out.append(w)
    return out


def header_lines(review: dict) -> list[str]:
    d, s = review["document"], review["summary"]
    lines = [f"文件：{d['name']}（{d['format']}，{d['characters']}字" + (f"，{d['pages']}页" if d.get("pages") else "") + "）",
             f"审查模板：{zh.profile_title(review)}" + ("（自动选择）" if review.get("profile_auto") else ""),
             f"结论：{zh.verdict(s.get('verdict'))}　" + "　".join(
                 f"{zh.STATUS[k]} {s.get(k, 0)}" for k in zh.STATUS_ORDER),
             f"审查日期：{zh.review_date(review)}　版本：{zh.versions_line(review)}"]
    lines += [f"提示：{w}" for w in warnings(review)]
    return lines


# ---- terminal ----

def render_table(review: dict, console) -> None:
    """A table that wraps: at 120 columns every reason and every quoted passage is shown whole."""
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    if (w := flag_warning(review)):
        console.print(Panel(Text(w, style="bold"), title="注意：可能不是合同", border_style="bold red", expand=True))
    for line in header_lines(review):
        console.print(line, highlight=False, markup=False, overflow="fold")
    table = Table(show_lines=True, expand=True)
    table.add_column("状态", no_wrap=True, width=4)
    table.add_column("要求", ratio=2, overflow="fold")
    table.add_column("级别", no_wrap=True, width=4)
    table.add_column("理由与政策依据", ratio=3, overflow="fold")
    table.add_column("依据条文", ratio=4, overflow="fold")
    for f in _sorted(review["findings"]):
        req = Text(zh.requirement_title(f))
        req.append(f"\n{f['requirement']}", style="dim")
        reasons = Text("；".join(str(r) for r in f["reasons"]) or "—")
        refs = list(dict.fromkeys(zh.source_ref(s) for s in f.get("sources", [])))
        if refs:
            reasons.append("\n政策依据：" + "；".join(refs), style="dim")
        quotes = Text()
        for i, ev in enumerate(f["evidence"]):
            quotes.append(("\n" if i else "") + _evidence_label(ev), style="bold")
            quotes.append("：" + str(ev["text"]))
        if (near := _nearest(f)):
            quotes.append(f"【最接近】{zh.place(near)}", style="bold")
            quotes.append("：" + str(near["text"]))
        if not quotes.plain:
            quotes = Text("—")
        table.add_row(Text(zh.status(f["status"]), style=STATUS_STYLE.get(f["status"], "")), req,
                      zh.severity(f["severity"]), reasons, quotes)
    console.print(table)


# ---- Markdown ----

_MD_ESCAPE = re.compile(r"[\\\[\]`]")


def _md(text: str) -> str:
    """Contract text (or anything else) inside a Markdown line: no line breaks, and nothing a
    Markdown renderer would turn into HTML, a link, an image or code: <, > and & become entities
    (a "<script>" in the contract stays text), backslash, brackets and backticks are escaped."""
    one_line = " ".join(str(text).splitlines())
    return _MD_ESCAPE.sub(lambda m: "\\" + m.group(0), html.escape(one_line, quote=False))


def render_markdown(review: dict) -> str:
    out = [f"# 合同安全条款审查：{_md(review['document']['name'])}", ""]
    if (w := flag_warning(review)):
        out += [f"> **⚠ 注意：{_md(w)}**", ""]
    out += [f"- {_md(line)}" for line in header_lines(review)]
    out += [f"- <small>审查模板编号：{_md(review['profile'])}</small>", ""]
    for f in _sorted(review["findings"]):
        out.append(f"## [{zh.status(f['status'])}] {_md(zh.requirement_title(f))}")
        out.append(f"<small>要求编号：{_md(f['requirement'])}</small>")
        out.append("")
        out.append(f"- 状态：{zh.status(f['status'])}　严重程度：{zh.severity(f['severity'])}")
        out += [f"- 理由：{_md(r)}" for r in f["reasons"]]
        for ev in f["evidence"]:
            out.append(f"- 条文{_md(_evidence_label(ev))}：{_md(ev['text'])}")
        if (near := _nearest(f)):
            out.append(f"- 最接近的条文（{_md(zh.place(near))}）：{_md(near['text'])}")
        out += [f"- 政策依据：{_md(s)}" for s in f.get("sources", [])]
        if f.get("suggestion"):
            out.append(f"- 建议措辞：{_md(f['suggestion'])}")
        out.append("")
    out.append(f"<small>{NOTE}</small>")
    return "\n".join(out)


# ---- HTML ----

STYLE = ("body{font-family:'Noto Sans CJK SC','Microsoft YaHei','PingFang SC',sans-serif;max-width:60em;margin:auto;"
         "padding:0 1em;color:#222}"
         "section{border-left:6px solid #999;padding:0 1em;margin:1em 0;break-inside:avoid-page}"
         ".satisfied{border-color:#2e7d32}.weak{border-color:#f9a825}.conflicting{border-color:#c62828}"
         ".missing{border-color:#9e9e9e}blockquote{background:#f4f4f4;margin:.3em 0;padding:.3em .6em}"
         ".role{font-weight:bold;margin-right:.4em}.role.supports{color:#2e7d32}.role.weakens{color:#b26a00}"
         ".role.conflicts{color:#c62828}.id{color:#777;font-weight:normal;font-size:.75em}"
         ".alert{border:2px solid #c62828;background:#fdecea;color:#7f1d1d;padding:.6em 1em;font-size:1.1em;"
         "margin:1em 0}"
         ".src{color:#444;font-size:.9em}.meta p{margin:.2em 0}")


def render_html(review: dict) -> str:
    e = html.escape
    rows = []
    for f in _sorted(review["findings"]):
        evs = "".join(
            f"<blockquote><span class='role {e(str(ev.get('role') or ''))}'>{e(zh.role(ev.get('role')))}</span>"
            f"<small class='where'>{e(zh.place(ev))}</small> {e(str(ev['text']))}</blockquote>"
            for ev in f["evidence"])
        if (near := _nearest(f)):
            evs += (f"<blockquote><span class='role'>最接近</span><small class='where'>{e(zh.place(near))}</small> "
                    f"{e(str(near['text']))}</blockquote>")
        srcs = "".join(f"<li>{e(s)}</li>" for s in f.get("sources", []))
        sug = f"<p><b>建议措辞：</b>{e(f['suggestion'])}</p>" if f.get("suggestion") else ""
        rows.append(f"<section class='{e(f['status'])}'><h2>[{zh.status(f['status'])}] {e(zh.requirement_title(f))} "
                    f"<small class='id'>{e(f['requirement'])}</small></h2>"
                    f"<p>状态：{zh.status(f['status'])}　严重程度：{zh.severity(f['severity'])}</p>"
                    f"<ul>{''.join(f'<li>{e(r)}</li>' for r in f['reasons'])}</ul>{evs}"
                    + (f"<div class='src'><b>政策依据：</b><ul>{srcs}</ul></div>" if srcs else "")
                    + f"{sug}</section>")
    alert = f"<div class='alert' role='alert'><b>注意：</b>{e(w)}</div>" if (w := flag_warning(review)) else ""
    head = "".join(f"<p>{e(line)}</p>" for line in header_lines(review))
    head += f"<p><small class='id'>审查模板编号：{e(review['profile'])}</small></p>"
    return (f"<!doctype html><html lang='zh-CN'><meta charset='utf-8'>"
            f"<title>审查报告 {e(review['document']['name'])}</title>"
            f"<style>{STYLE}</style><body><h1>合同安全条款审查报告</h1>{alert}<div class='meta'>{head}</div>"
            f"{''.join(rows)}<p><small>{NOTE}</small></p></body></html>")


def render_docx(review: dict) -> bytes:
    """The Word memo; lives in service/report_docx.py (kept importable from here)."""
    from .report_docx import render_docx as _render_docx

    return _render_docx(review)
