"""The Word memo: a review rendered as its own .docx, for input that is not a Word draft.

(A .docx draft gets its own text back with comments instead: service/docx_annotate.py.)

Every evidence quote says what it does for the finding (支持/削弱/冲突) and where it stands (article,
page); severity, the policy sources, the review date and the tool and rule-library versions appear;
requirements and the profile go by their Chinese titles, ids only as small print; the file's author
metadata names the tool, not the library that wrote it.
"""
from __future__ import annotations

import datetime as dt
import io

from . import labels_zh as zh
from .labels_zh import profile_title, review_date, versions_line

STATUS_ZH, SEVERITY_ZH, VERDICT_ZH, ROLE_ZH = zh.STATUS, zh.SEVERITY, zh.VERDICT, zh.ROLE
ORDER, SEV_ORDER = zh.PROBLEM_FIRST, zh.SEVERITY_ORDER
TOOL = "clausecheck"


def where(ev: dict) -> str:
    """第三条第1项 第2页 — the article and page a passage stands at, as a lawyer cites it."""
    return zh.place(ev)


def role_zh(ev: dict, default: str = "supports") -> str:
    return ROLE_ZH.get(ev.get("role") or default, ev.get("role") or "")


def sorted_findings(findings: list[dict]) -> list[dict]:
    return sorted(findings, key=lambda f: (ORDER.get(f["status"], 9), SEV_ORDER.get(f["severity"], 9)))


def verdict_line(review: dict) -> str:
    s = review["summary"]
    return (f"结论：{zh.verdict(s.get('verdict'))}（满足 {s['satisfied']}，薄弱 {s['weak']}，"
            f"冲突 {s['conflicting']}，缺失 {s['missing']}）")


def render_docx(review: dict) -> bytes:
    from docx import Document
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt, RGBColor

    doc = Document()
    _chinese_fonts(doc, qn)
    name = review["document"]["name"]
    props = doc.core_properties
    props.author = TOOL
    props.last_modified_by = TOOL
    props.title = f"合同安全条款审查报告：{name}"
    props.subject = profile_title(review)
    props.keywords = "合同审查; 网络安全; clausecheck"
    props.comments = versions_line(review)
    props.category = "审查报告"
    props.language = "zh-CN"
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0, tzinfo=None)
    props.created = props.modified = now
    props.revision = 1

    def small(paragraph, text: str) -> None:
        run = paragraph.add_run(text)
        run.font.size = Pt(8)
        run.font.color.rgb = RGBColor(0x77, 0x77, 0x77)

    def para(text: str = "", style_id: str | None = None):
        # the style by id: python-docx's lookup by name rescans the styles part on every paragraph
        p = doc.add_paragraph(text)
        if style_id:
            p._p.style = style_id
        return p

    def labelled(label: str, text: str):
        p = para()
        p.add_run(label).bold = True
        p.add_run(text)
        return p

    doc.add_heading(f"合同安全条款审查报告：{name}", 0)
    d = review["document"]
    size = f"{d['format']}，{d['characters']}字" + (f"，{d['pages']}页" if d.get("pages") else "")
    labelled("文件：", f"{name}（{size}）")
    p = labelled("审查模板：", profile_title(review) + ("（自动选择）" if review.get("profile_auto") else "") + " ")
    small(p, review["profile"])
    p = para()
    p.add_run(verdict_line(review)).bold = True
    labelled("审查日期：", review_date(review))
    p = para()
    small(p, versions_line(review))
    for w in d.get("warnings", []):
        labelled("提示：", w)

    findings = sorted_findings(review["findings"])
    doc.add_heading("结果一览", 1)
    table = doc.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    for cell, head in zip(table.rows[0].cells, ("状态", "要求", "严重程度")):
        cell.text = ""
        cell.paragraphs[0].add_run(head).bold = True
    for f in findings:
        cells = table.add_row().cells
        run = cells[0].paragraphs[0].add_run(STATUS_ZH[f["status"]])
        run.bold = True
        run.font.color.rgb = RGBColor.from_string(zh.STATUS_COLOUR[f["status"]])
        cells[1].paragraphs[0].add_run(f["title"])
        cells[2].paragraphs[0].add_run(SEVERITY_ZH[f["severity"]])
    table.autofit = False
    widths = (Cm(2), Cm(11.5), Cm(2.5))
    for column, width in zip(table.columns, widths):
        column.width = width  # w:gridCol, which LibreOffice reads
    for row in table.rows:
        for cell, width in zip(row.cells, widths):
            cell.width = width  # w:tcW, which Word reads

    doc.add_heading("逐项审查意见", 1)
    for f in findings:
        h = para(style_id="Heading2")
        status = h.add_run(f"[{STATUS_ZH[f['status']]}] ")
        status.font.color.rgb = RGBColor.from_string(zh.STATUS_COLOUR[f["status"]])
        h.add_run(f["title"])
        p = labelled("严重程度：", SEVERITY_ZH[f["severity"]] + "　")
        small(p, f["requirement"])
        for r in f["reasons"]:
            para(r, "ListBullet")
        for ev in f["evidence"]:
            q = para(style_id="IntenseQuote")
            q.add_run(f"{role_zh(ev)}｜{where(ev)}：").bold = True
            q.add_run(ev["text"])
        if not f["evidence"] and f.get("nearest"):
            ev = f["nearest"]
            q = para(style_id="IntenseQuote")
            q.add_run(f"最接近的条文（{role_zh(ev, 'weakens')}）｜{where(ev)}：").bold = True
            q.add_run(ev["text"])
        if f.get("sources"):
            para().add_run("政策依据：").bold = True
            for s in f["sources"]:
                para(s, "ListBullet")
        if f.get("suggestion"):
            labelled("建议措辞：", f["suggestion"])
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def _chinese_fonts(doc, qn) -> None:
    """East-Asian text in 宋体 (headings in 黑体) instead of whatever the Latin theme font falls back to."""
    for style_name, font in (("Normal", "宋体"), ("Title", "黑体"), ("Heading 1", "黑体"), ("Heading 2", "黑体")):
        try:
            rpr = doc.styles[style_name].element.get_or_add_rPr()
        except KeyError:
            continue
        fonts = rpr.get_or_add_rFonts()
        fonts.set(qn("w:eastAsia"), font)
