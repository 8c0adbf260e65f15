"""The batch's derived outputs, rebuilt from the logs on every run so that they always describe the
folder as it is now: summary.csv, summary.xlsx, errors.csv, report.html.

summary.csv and errors.csv are for programs (ids and status codes, stable column names);
summary.xlsx and report.html are for people (Chinese, titles, status words and colours)."""
from __future__ import annotations

import csv
import io
import os
import re
import tempfile
import time
from dataclasses import dataclass, field

COUNTS = ("satisfied", "weak", "conflicting", "missing")
# A spreadsheet treats these leading characters as the start of a formula (CSV injection); DDE
# payloads hide behind a leading tab or carriage return too.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# XML 1.0 cannot carry these; openpyxl refuses them outright.
ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
XLSX_CELL_MAX = 32767  # characters a spreadsheet cell holds


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


@dataclass
class Portfolio:
    reviews: list[tuple[str, dict]] = field(default_factory=list)  # (relative path, review)
    failures: list[tuple[str, str, str]] = field(default_factory=list)  # (path, code, message)
    requirements: list[tuple[str, str]] = field(default_factory=list)  # (id, title) in profile order


def collect(entries) -> Portfolio:
    """entries: the settled Entry of every file currently in the folder."""
    port = Portfolio()
    seen: dict[str, str] = {}
    for e in sorted(entries, key=lambda e: e.rel):
        if e.ok:
            port.reviews.append((e.rel, e.record))
            for f in e.record.get("findings", []):
                seen.setdefault(f.get("requirement", ""), f.get("title", ""))
        else:
            err = e.record.get("error") or {}
            port.failures.append((e.rel, str(err.get("code", "")), str(err.get("message", ""))))
    port.requirements = list(seen.items())
    return port


def summary_rows(port: Portfolio) -> tuple[list[str], list[list]]:
    req_ids = [r for r, _ in port.requirements]
    header = ["file", "profile", "verdict", *COUNTS, *req_ids]
    rows = []
    for rel, review in port.reviews:
        summary = review.get("summary") or {}
        status = {f.get("requirement"): f.get("status", "") for f in review.get("findings", [])}
        rows.append([rel, review.get("profile", ""), summary.get("verdict", ""),
                     *(summary.get(c, 0) for c in COUNTS), *(status.get(r, "") for r in req_ids)])
    return header, rows


def _atomic_write(path: str, data: bytes) -> None:
    # Readers (and a Ctrl-C mid-write) only ever see the old file or the complete new one.
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".tmp-", suffix=os.path.basename(path))
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def csv_bytes(header: list[str], rows: list[list]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    # BOM: Excel on Chinese Windows otherwise guesses GBK and garbles the file names.
    return buf.getvalue().encode("utf-8-sig")


def _clean(value):
    value = safe_cell(value)
    if isinstance(value, str):
        value = ILLEGAL_XML.sub("", value)
        if len(value) > XLSX_CELL_MAX:
            value = value[: XLSX_CELL_MAX - 1] + "…"
    return value


def _display_width(value) -> int:
    """Columns a value takes in a spreadsheet: CJK characters count double."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(value if value is not None else ""))


def _sheet(wb, title: str, header: list[str], rows: list[list], *, widths: dict[int, float] | None = None,
           max_width: float = 50, freeze: str = "A2", header_notes: dict[int, str] | None = None,
           wrap: set[int] | None = None):
    """A sheet with a bold, frozen, filterable header and columns sized to their content."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    ws.append([_clean(h) for h in header])
    for row in rows:
        ws.append([_clean(v) for v in row])
    head_fill = PatternFill("solid", fgColor="E8EAF0")
    for i, cell in enumerate(ws[1], 1):
        cell.font = Font(bold=True)
        cell.fill = head_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        if header_notes and i in header_notes:
            cell.comment = Comment(header_notes[i], "clausecheck")
    for i, name in enumerate(header, 1):
        if widths and i in widths:
            width = widths[i]
        else:
            longest = max([_display_width(name), *(_display_width(r[i - 1]) for r in rows[:2000] if i - 1 < len(r))])
            width = min(max_width, max(6, longest + 2))
        ws.column_dimensions[get_column_letter(i)].width = width
    if wrap:
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if cell.column in wrap:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = freeze
    if ws.max_row >= 1 and header:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(header))}{max(ws.max_row, 1)}"
    return ws


def _fill(cell, colours: dict[str, str], code: str) -> None:
    from openpyxl.styles import PatternFill

    if code in colours:
        cell.fill = PatternFill("solid", fgColor=colours[code])


def xlsx_workbook_bytes(port: Portfolio, title: str = "") -> bytes:
    """summary.xlsx for people: Chinese sheets and headers, requirement titles (ids in the header
    comments and on the 说明 sheet), statuses in words with colours, frozen headers and filters."""
    from openpyxl import Workbook

    from .. import labels_zh as zh
    from ..contract_check import flag_warning

    wb = Workbook()
    wb.remove(wb.active)
    severity: dict[str, str] = {}
    sources: dict[str, list[str]] = {}
    for _, review in port.reviews:
        for f in review.get("findings", []):
            severity.setdefault(f.get("requirement", ""), f.get("severity", ""))
            sources.setdefault(f.get("requirement", ""), list(f.get("sources") or []))

    # 汇总: one row per contract
    fixed = ["文件", "审查模板", "结论", *(zh.STATUS[c] for c in COUNTS), "审查日期", "提示"]
    header = fixed + [t or r for r, t in port.requirements]
    notes = {len(fixed) + i: f"要求编号：{r}\n严重程度：{zh.severity(severity.get(r))}"
             for i, (r, _) in enumerate(port.requirements, 1)}
    rows = []
    for rel, review in port.reviews:
        summary = review.get("summary") or {}
        status = {f.get("requirement"): f.get("status", "") for f in review.get("findings", [])}
        warning = flag_warning(review)
        rows.append([rel, zh.profile_title(review), zh.verdict(summary.get("verdict")),
                     *(summary.get(c, 0) for c in COUNTS), zh.review_date(review), warning or "",
                     *(zh.status(status[r]) if status.get(r) else "" for r, _ in port.requirements)])
    widths = {len(fixed) + i: 12 for i in range(1, len(port.requirements) + 1)}
    widths.update({4: 6, 5: 6, 6: 6, 7: 6, 8: 11, 9: 30 if any(r[8] for r in rows) else 8})
    ws = _sheet(wb, "汇总", header, rows, widths=widths, freeze="B2", header_notes=notes, wrap={9})
    ws.row_dimensions[1].height = 48
    by_word = {v: k for k, v in zh.STATUS.items()}
    verdict_word = {v: k for k, v in zh.VERDICT.items()}
    for row in ws.iter_rows(min_row=2):
        _fill(row[2], zh.VERDICT_FILL, verdict_word.get(row[2].value, ""))
        for cell in row[len(fixed):]:
            _fill(cell, zh.STATUS_FILL, by_word.get(cell.value, ""))

    # 明细: one row per contract and requirement, the evidence with its role and place
    detail_header = ["文件", "要求", "状态", "严重程度", "理由", "依据条文（作用、位置）", "政策依据", "建议措辞"]
    detail = []
    for rel, review in port.reviews:
        findings = sorted(review.get("findings", []), key=lambda f: zh.PROBLEM_FIRST.get(f.get("status"), 9))
        for f in findings:
            quotes = "\n".join(f"【{zh.role(ev.get('role'))}】{zh.place(ev)}：{ev.get('text', '')}"
                               for ev in f.get("evidence") or [])
            detail.append([rel, zh.requirement_title(f), zh.status(f.get("status")), zh.severity(f.get("severity")),
                           "；".join(str(r) for r in f.get("reasons") or []), quotes,
                           "\n".join(str(s) for s in f.get("sources") or []), f.get("suggestion") or ""])
    ws = _sheet(wb, "明细", detail_header, detail, widths={1: 28, 2: 24, 3: 7, 4: 9, 5: 40, 6: 60, 7: 40, 8: 40},
                freeze="C2", wrap={2, 5, 6, 7, 8})
    for row in ws.iter_rows(min_row=2):
        _fill(row[2], zh.STATUS_FILL, by_word.get(row[2].value, ""))

    # 读取失败
    _sheet(wb, "读取失败", ["文件", "原因代码", "说明"], [list(f) for f in port.failures], max_width=80)

    # 说明: when, with what, and what the columns mean
    rules = sorted({str(r.get("rules_version") or (r.get("batch") or {}).get("rules_version") or "")
                    for _, r in port.reviews} - {""})
    about = [["目录", title], ["生成时间", time.strftime("%Y-%m-%d %H:%M")],
             ["工具版本", f"clausecheck {zh.tool_version()}"], ["规则库版本", "、".join(rules) or "—"],
             ["状态说明", "满足：条款满足要求；薄弱：有相关条款但不充分；冲突：条款与要求相抵触；缺失：未找到相关条款"],
             ["", ""], ["要求", "要求编号、严重程度与政策依据"]]
    about += [[t or r, f"{r}；严重程度：{zh.severity(severity.get(r))}；"
               + "；".join(zh.source_ref(s) for s in sources.get(r, []))] for r, t in port.requirements]
    _sheet(wb, "说明", ["项目", "内容"], about, widths={1: 36, 2: 100}, wrap={1, 2})
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_all(out_dir: str, port: Portfolio, title: str = "") -> None:
    from .report_html import render

    header, rows = summary_rows(port)
    fail_header = ["file", "code", "message"]
    fail_rows = [list(f) for f in port.failures]
    _atomic_write(os.path.join(out_dir, "summary.csv"), csv_bytes(header, rows))
    _atomic_write(os.path.join(out_dir, "errors.csv"), csv_bytes(fail_header, fail_rows))
    _atomic_write(os.path.join(out_dir, "summary.xlsx"), xlsx_workbook_bytes(port, title))
    _atomic_write(os.path.join(out_dir, "report.html"), render(port, title).encode("utf-8"))
