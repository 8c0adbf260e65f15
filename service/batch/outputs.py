"""The batch's derived outputs, rebuilt from the logs on every run so that they always describe the
folder as it is now: summary.csv, summary.xlsx, errors.csv, report.html."""
from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from dataclasses import dataclass, field

COUNTS = ("satisfied", "weak", "conflicting", "missing")
# A spreadsheet treats these leading characters as the start of a formula (CSV injection); DDE
# payloads hide behind a leading tab or carriage return too.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# XML 1.0 cannot carry these; openpyxl refuses them outright.
ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


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


def xlsx_bytes(sheets: list[tuple[str, list[str], list[list]]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    for title, header, rows in sheets:
        ws = wb.create_sheet(title)
        for row in [header, *rows]:
            ws.append([ILLEGAL_XML.sub("", v) if isinstance(v, str) else v
                       for v in (safe_cell(v) for v in row)])
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
    _atomic_write(os.path.join(out_dir, "summary.xlsx"),
                  xlsx_bytes([("summary", header, rows), ("failures", fail_header, fail_rows)]))
    _atomic_write(os.path.join(out_dir, "report.html"), render(port, title).encode("utf-8"))
