"""report.html: one self-contained page (no scripts, fonts or images fetched) that a legal team can
mail around: how the whole portfolio fares per requirement, the worst contracts first, and each
contract's findings in an anchor section of the same page."""
from __future__ import annotations

import time
from html import escape

from .. import labels_zh as zh
from ..contract_check import flag_warning
from ..report import warnings as display_warnings

STATUS_ZH, VERDICT_ZH, SEVERITY_ZH = zh.STATUS, zh.VERDICT, zh.SEVERITY  # the one shared vocabulary
VERDICT_RANK = {"fail": 2, "needs-revision": 1, "pass": 0}
STATUS_ORDER = zh.STATUS_ORDER
PROBLEM_FIRST = zh.PROBLEM_FIRST
EVIDENCE_CHARS = 240

CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.6em}h2{border-bottom:2px solid #ddd;padding-bottom:.3em;margin-top:2em}
table{border-collapse:collapse;width:100%;margin:.5em 0}th,td{border:1px solid #ddd;padding:.35em .5em;text-align:left;vertical-align:top}
th{background:#f4f4f4;white-space:nowrap}.num{text-align:right;white-space:nowrap}
.cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:.6em 1em;min-width:7em}
.card b{display:block;font-size:1.6em}
.bar{display:flex;height:1.1em;width:100%;min-width:12em;background:#eee;border-radius:3px;overflow:hidden}
.bar span{display:block;height:100%}
.satisfied{background:#2e7d32}.weak{background:#f9a825}.conflicting{background:#c62828}.missing{background:#9e9e9e}
.tag{display:inline-block;padding:0 .4em;border-radius:3px;color:#fff;font-size:.9em;white-space:nowrap}
.tag.pass{background:#2e7d32}.tag.needs-revision{background:#f9a825;color:#222}.tag.fail{background:#c62828}
.legend span{display:inline-block;width:.9em;height:.9em;margin:0 .3em 0 1em;vertical-align:middle}
.ev{color:#555;font-size:.9em;border-left:3px solid #ddd;padding-left:.5em;margin:.3em 0}
.contract{margin-top:1.5em}.top{font-size:.85em}
.role{font-weight:bold;margin-right:.3em}.role.supports{color:#2e7d32}.role.weakens{color:#b26a00}.role.conflicts{color:#c62828}
.where{color:#333;margin-right:.3em}.id{color:#888;font-size:.75em}.policy{color:#666;font-size:.85em}
.alert{border:2px solid #c62828;background:#fdecea;color:#7f1d1d;padding:.4em .8em;margin:.5em 0;font-weight:bold}
@media print{.contract{break-inside:avoid-page}a{color:inherit;text-decoration:none}}
"""


def worst_first(reviews: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    def badness(item):
        rel, review = item
        s = review.get("summary") or {}
        high = sum(1 for f in review.get("findings", [])
                   if f.get("severity") == "high" and f.get("status") != "satisfied")
        return (-VERDICT_RANK.get(s.get("verdict"), 0), -high, -s.get("conflicting", 0),
                -s.get("missing", 0), -s.get("weak", 0), rel)

    return sorted(reviews, key=badness)


def _tag(verdict: str) -> str:
    return f'<span class="tag {escape(verdict)}">{escape(VERDICT_ZH.get(verdict, verdict or "—"))}</span>'


def _bar(counts: dict[str, int], total: int) -> str:
    parts = []
    for st in STATUS_ORDER:
        n = counts.get(st, 0)
        if n and total:
            pct = 100.0 * n / total
            parts.append(f'<span class="{st}" style="width:{pct:.2f}%" title="{STATUS_ZH[st]} {n}（{pct:.0f}%）"></span>')
    return f'<div class="bar" role="img" aria-label="{escape(_shares(counts, total))}">{"".join(parts)}</div>'


def _shares(counts: dict[str, int], total: int) -> str:
    return "，".join(f"{STATUS_ZH[st]} {counts.get(st, 0)}" for st in STATUS_ORDER) + f"（共 {total} 份）"


def _overview(port) -> str:
    verdicts = [(r.get("summary") or {}).get("verdict") for _, r in port.reviews]
    cards = [("已审查合同", len(port.reviews)), ("通过", verdicts.count("pass")),
             ("需修改", verdicts.count("needs-revision")), ("不通过", verdicts.count("fail")),
             ("读取失败", len(port.failures))]
    flagged = sum(1 for _, r in port.reviews if flag_warning(r))
    if flagged:
        cards.append(("疑似不是合同", flagged))
    return '<div class="cards">' + "".join(
        f'<div class="card"><b>{n}</b>{escape(label)}</div>' for label, n in cards) + "</div>"


def _per_requirement(port) -> str:
    rows = []
    for req, title in port.requirements:
        counts: dict[str, int] = {}
        for _, review in port.reviews:
            for f in review.get("findings", []):
                if f.get("requirement") == req:
                    counts[f.get("status", "")] = counts.get(f.get("status", ""), 0) + 1
                    break
        total = sum(counts.get(s, 0) for s in STATUS_ORDER)
        share = f"{100.0 * counts.get('satisfied', 0) / total:.0f}%" if total else "—"
        rows.append(f"<tr><td>{escape(title)}<br><small class=\"id\">{escape(req)}</small></td>"
                    f"<td>{_bar(counts, total)}<small>{escape(_shares(counts, total))}</small></td>"
                    f'<td class="num">{share}</td></tr>')
    legend = '<p class="legend">' + "".join(
        f'<span class="{st}"></span>{STATUS_ZH[st]}' for st in STATUS_ORDER) + "</p>"
    return (legend + "<table><tr><th>要求</th><th>各状态合同占比</th><th>满足率</th></tr>"
            + "".join(rows) + "</table>")


def _ranking(ordered) -> str:
    rows = []
    for i, (rel, review) in enumerate(ordered, 1):
        s = review.get("summary") or {}
        rows.append(f'<tr><td class="num">{i}</td><td><a href="#c-{i}">{escape(rel)}</a></td>'
                    f"<td>{_tag(s.get('verdict', ''))}</td>"
                    + "".join(f'<td class="num">{int(s.get(c, 0))}</td>' for c in STATUS_ORDER) + "</tr>")
    head = "<tr><th>#</th><th>文件</th><th>结论</th>" + "".join(
        f"<th>{STATUS_ZH[c]}</th>" for c in STATUS_ORDER) + "</tr>"
    return "<table>" + head + "".join(rows) + "</table>"


def _detail(i: int, rel: str, review: dict) -> str:
    s = review.get("summary") or {}
    doc = review.get("document") or {}
    rows = []
    # Problems first; the sort is stable, so each group keeps the profile's order.
    findings = sorted(review.get("findings", []), key=lambda f: PROBLEM_FIRST.get(f.get("status"), 4))
    for f in findings:
        st = f.get("status", "")
        reasons = "；".join(str(r) for r in f.get("reasons", []))
        ev = ""
        for e in f.get("evidence") or []:  # every passage, with what it does and where it is
            text = str(e.get("text", ""))
            if len(text) > EVIDENCE_CHARS:
                text = text[:EVIDENCE_CHARS] + "…"
            role = str(e.get("role") or "")
            ev += (f'<div class="ev"><span class="role {escape(role)}">{escape(zh.role(role))}</span>'
                   f'<span class="where">{escape(zh.place(e))}</span>{escape(text)}</div>')
        refs = list(dict.fromkeys(zh.source_ref(str(x)) for x in f.get("sources") or []))
        policy = f'<div class="policy">政策依据：{escape("；".join(refs))}</div>' if refs else ""
        rows.append(f'<tr><td>{escape(zh.requirement_title(f))}<br>'
                    f'<small class="id">{escape(str(f.get("requirement", "")))}</small></td>'
                    f'<td><span class="tag {escape(st)}">{escape(zh.status(st))}</span></td>'
                    f"<td>{escape(zh.severity(f.get('severity')))}</td>"
                    f"<td>{escape(reasons)}{ev}{policy}</td></tr>")
    first = flag_warning(review)
    alert = f'<p class="alert" role="alert">注意：{escape(first)}</p>' if first else ""
    pid, ptitle = str(review.get("profile", "")), zh.profile_title(review)
    warnings = "".join(f"<li>{escape(w)}</li>" for w in display_warnings(review))
    rules = review.get("rules_version") or (review.get("batch") or {}).get("rules_version") or "—"
    return (f'<section class="contract" id="c-{i}"><h3>{i}. {escape(rel)} {_tag(s.get("verdict", ""))}</h3>'
            + alert
            + f"<p>审查模板：{escape(ptitle)}" + ("（自动选择）" if review.get("profile_auto") else "")
            + f' <small class="id">{escape(pid)}</small>；格式：{escape(str(doc.get("format", "")))}；'
            f"页数：{escape(str(doc.get('pages') if doc.get('pages') is not None else '—'))}；"
            f"字数：{escape(str(doc.get('characters', '')))}；审查日期：{escape(zh.review_date(review))}；"
            f"规则库版本：{escape(str(rules))}</p>"
            + (f"<ul>{warnings}</ul>" if warnings else "")
            + "<table><tr><th>要求</th><th>状态</th><th>严重程度</th><th>理由、依据条文与政策依据</th></tr>"
            + "".join(rows) + '</table><p class="top"><a href="#top">返回顶部</a></p></section>')


def _rules(port) -> str:
    found = sorted({str(r.get("rules_version") or (r.get("batch") or {}).get("rules_version") or "")
                    for _, r in port.reviews} - {""})
    return "、".join(found) or "—"


def _failures(port) -> str:
    if not port.failures:
        return "<p>无。</p>"
    return ("<table><tr><th>文件</th><th>原因代码</th><th>说明</th></tr>" + "".join(
        f"<tr><td>{escape(rel)}</td><td>{escape(code)}</td><td>{escape(msg)}</td></tr>"
        for rel, code, msg in port.failures) + "</table>")


def render(port, title: str = "") -> str:
    ordered = worst_first(port.reviews)
    stamp = time.strftime("%Y-%m-%d %H:%M")
    return "".join([
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>云服务合同批量审查报告 {escape(title)}</title><style>{CSS}</style></head>",
        '<body><a id="top"></a>',
        f"<h1>云服务合同批量审查报告</h1><p>目录：{escape(title)}　生成时间：{stamp}　"
        f"工具版本：clausecheck {escape(zh.tool_version())}　规则库版本：{escape(_rules(port))}</p>",
        _overview(port),
        "<h2>各项要求的满足情况</h2>", _per_requirement(port),
        "<h2>合同排名（问题最多的在前）</h2>", _ranking(ordered),
        "<h2>读取失败的文件</h2>", _failures(port),
        "<h2>逐份合同明细</h2>",
        *(_detail(i, rel, review) for i, (rel, review) in enumerate(ordered, 1)),
        "<p><small>本报告由 clausecheck 自动生成，审查结果供法务人员复核参考。</small></p></body></html>",
    ])
