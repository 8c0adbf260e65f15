"""The one place where codes become the Chinese words people read: statuses, severities, verdicts,
evidence roles, draft-comparison changes, and profile / requirement titles in place of their ids.

Every rendering in service/ (CLI table, Markdown, HTML, batch spreadsheet and page, diff) takes its
words from here, so that one status is called one thing everywhere (满足/薄弱/冲突/缺失)."""
from __future__ import annotations

from datetime import date, datetime, timezone

STATUS = {"satisfied": "满足", "weak": "薄弱", "conflicting": "冲突", "missing": "缺失"}
STATUS_ORDER = ("satisfied", "weak", "conflicting", "missing")
PROBLEM_FIRST = {"conflicting": 0, "missing": 1, "weak": 2, "satisfied": 3}
SEVERITY = {"high": "高", "medium": "中", "low": "低"}
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}
VERDICT = {"pass": "通过", "needs-revision": "需修改", "fail": "不通过"}
ROLE = {"supports": "支持", "weakens": "削弱", "conflicts": "冲突"}
CHANGE = {"fixed": "改进", "regressed": "退步", "unchanged": "未变"}
# Colours shared by the HTML pages and the workbook (RGB hex, no '#').
STATUS_COLOUR = {"satisfied": "2E7D32", "weak": "F9A825", "conflicting": "C62828", "missing": "9E9E9E"}
STATUS_FILL = {"satisfied": "C8E6C9", "weak": "FFF3C4", "conflicting": "FFCDD2", "missing": "E0E0E0"}
VERDICT_FILL = {"pass": "C8E6C9", "needs-revision": "FFF3C4", "fail": "FFCDD2"}


def status(code: str | None) -> str:
    return STATUS.get(code or "", code or "—")


def severity(code: str | None) -> str:
    return SEVERITY.get(code or "", code or "—")


def verdict(code: str | None) -> str:
    return VERDICT.get(code or "", code or "—")


def role(code: str | None, default: str = "依据") -> str:
    return ROLE.get(code or "", default)


def place(ev: dict) -> str:
    """Where an evidence passage sits: article and page, else paragraph, else character offset."""
    loc = ev.get("location") or {}
    parts = [loc.get("article") or "", f"第{loc['page']}页" if loc.get("page") else ""]
    shown = " ".join(p for p in parts if p)
    if shown:
        return shown
    if loc.get("paragraph") is not None:
        return f"第{int(loc['paragraph']) + 1}段"
    return f"第{int(loc.get('start', 0)) + 1}字起"


def source_ref(source: str) -> str:
    """A policy source without its quotation: '《…》 第X条'. Sources read '<doc> <section>：“quote”'."""
    return source.split("：“", 1)[0].strip()


# ---- titles in place of ids ----

def _library_titles() -> tuple[dict[str, str], dict[str, str]]:
    try:
        from clause_library import list_profiles

        profiles = list_profiles()
    except Exception:  # a rendering never fails for want of the library
        return {}, {}
    return ({p["id"]: p["title"] for p in profiles},
            {r["id"]: r["title"] for p in profiles for r in p["requirements"]})


def profile_title(review_or_id) -> str:
    """The profile's Chinese title (the review carries it as profile_title; older ones may not)."""
    if isinstance(review_or_id, dict):
        if review_or_id.get("profile_title"):
            return str(review_or_id["profile_title"])
        pid = str(review_or_id.get("profile", ""))
    else:
        pid = str(review_or_id or "")
    return _library_titles()[0].get(pid, pid)


def requirement_title(finding_or_id) -> str:
    if isinstance(finding_or_id, dict):
        if finding_or_id.get("title"):
            return str(finding_or_id["title"])
        rid = str(finding_or_id.get("requirement", ""))
    else:
        rid = str(finding_or_id or "")
    return _library_titles()[1].get(rid, rid)


# ---- dates and versions ----

def review_date(review: dict) -> str:
    """When the review was made: the stored review's created_at, a batch record's finish time, or today."""
    for value in (review.get("reviewed_at"), review.get("created_at"), (review.get("batch") or {}).get("finished")):
        if value in (None, ""):
            continue
        if isinstance(value, (int, float)):
            return datetime.fromtimestamp(value, tz=timezone.utc).astimezone().date().isoformat()
        if isinstance(value, datetime):
            return value.date().isoformat()
        text = str(value)
        if len(text) >= 10 and text[4] == "-" and text[7] == "-":
            return text[:10]
    return date.today().isoformat()


def tool_version() -> str:
    try:
        from importlib.metadata import version

        return version("clausecheck")
    except Exception:
        return "0.1.0"


def versions_line(review: dict) -> str:
    rules = review.get("rules_version") or (review.get("batch") or {}).get("rules_version")
    if not rules:
        try:
            from clause_library import rules_version

            rules = rules_version()
        except Exception:
            rules = "—"
    return f"clausecheck {tool_version()}，规则库版本 {rules}"
