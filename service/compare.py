"""Comparing two drafts of one contract: per requirement fixed / regressed / unchanged, with the
evidence of each side, and a warning when the two documents look like different contracts.

Shared by `clausecheck diff` (service/cli_review.py) and `POST /v1/compare` (service/compare_router.py).
Nothing here logs or returns contract text other than the evidence the reviews already quote.
"""
from __future__ import annotations

import difflib
import re
import sys
import unicodedata

# a status is better the higher it ranks; the same order as `clausecheck diff`
RANK = {"satisfied": 3, "weak": 2, "missing": 1, "conflicting": 0}
CHANGE_ZH = {"fixed": "改进", "regressed": "退步", "unchanged": "未变"}
ROLE_ZH = {"customer": "甲方（用户）", "provider": "乙方（服务方）", "manager": "管理方"}

LOW_SIMILARITY = 0.5  # below this share of common text two files are not two drafts of one contract
TITLE_SIMILARITY = 0.8  # different titles are suspicious only when the texts also differ this much
CHAR_LEVEL_LIMIT = 20_000  # longer texts are compared sentence by sentence (SequenceMatcher is quadratic)
_ORG = re.compile(r"(公司|集团|局|馆|中心|厅|办公室|委员会|政府|研究院|医院|学院|大学|银行|[A-Za-z]{4,})")
_SENTENCE = re.compile(r"(?<=[。；;！？!?\n])")


def change_of(old_status: str, new_status: str) -> str:
    if RANK[new_status] > RANK[old_status]:
        return "fixed"
    if RANK[new_status] < RANK[old_status]:
        return "regressed"
    return "unchanged"


def _side(f: dict | None) -> dict:
    if f is None:  # a requirement the other draft's profile does not have: treated as missing, as in `diff`
        return {"status": "missing", "reasons": [], "evidence": []}
    out = {"status": f["status"], "reasons": list(f.get("reasons") or []), "evidence": list(f.get("evidence") or [])}
    if f.get("nearest"):
        out["nearest"] = f["nearest"]
    return out


def compare_reviews(old: dict, new: dict) -> list[dict]:
    """One row per requirement of the new review, in its order: the change and both sides."""
    before = {f["requirement"]: f for f in old.get("findings", [])}
    rows = []
    for f in new.get("findings", []):
        o, n = _side(before.get(f["requirement"])), _side(f)
        rows.append({"requirement": f["requirement"], "title": f.get("title", f["requirement"]),
                     "severity": f.get("severity"), "change": change_of(o["status"], n["status"]),
                     "old": o, "new": n})
    return rows


def counts(rows: list[dict]) -> dict:
    out = {"fixed": 0, "regressed": 0, "unchanged": 0}
    for r in rows:
        out[r["change"]] += 1
    return out


# ---- do the two documents look like drafts of the same contract? ----

def normalise(text: str) -> str:
    """NFKC, without whitespace, punctuation and symbols: layout and full/half-width forms do not count."""
    text = unicodedata.normalize("NFKC", text or "")
    return "".join(ch for ch in text if not (ch.isspace() or unicodedata.category(ch)[0] in "PSZC"))


def similarity(old_text: str, new_text: str) -> float:
    """difflib ratio on normalised text, 0..1. Long texts are aligned sentence by sentence first and
    only the edited stretches compared character by character, so the cost stays bounded."""
    a, b = normalise(old_text), normalise(new_text)
    if not a and not b:
        return 1.0
    if not a or not b:
        return 0.0
    if max(len(a), len(b)) <= CHAR_LEVEL_LIMIT:
        return difflib.SequenceMatcher(None, a, b).ratio()
    sa = [normalise(s) for s in _SENTENCE.split(unicodedata.normalize("NFKC", old_text))]
    sb = [normalise(s) for s in _SENTENCE.split(unicodedata.normalize("NFKC", new_text))]
    sa, sb = [s for s in sa if s], [s for s in sb if s]
    matched = 0
    # without autojunk, frequent sentences still match; with it (very long texts) the cost stays low
    junk = len(sa) * len(sb) > 4_000_000
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, sa, sb, autojunk=junk).get_opcodes():
        if tag == "equal":
            matched += sum(len(x) for x in sa[i1:i2])
        elif tag == "replace":  # edited sentences: their common characters count, as at character level
            x, y = "".join(sa[i1:i2]), "".join(sb[j1:j2])
            if max(len(x), len(y)) <= CHAR_LEVEL_LIMIT:
                matched += sum(m.size for m in difflib.SequenceMatcher(None, x, y).get_matching_blocks())
    return 2 * matched / (len(a) + len(b))


def _title(text: str) -> str | None:
    for line in (text or "").splitlines():
        line = normalise(line)
        if line:
            return line if len(line) <= 60 else None
    return None


def _named(names) -> set[str]:
    """The parties' own names (companies, agencies), not role words such as 甲方 or 服务方."""
    out = set()
    for n in names or []:
        n = normalise(str(n))
        if n.startswith("以下简称") or len(n) < 5:
            continue
        if _ORG.search(n):
            out.add(n)
    return out


def _same_party(a: set[str], b: set[str]) -> bool:
    return any(x == y or x in y or y in x for x in a for y in b)


def different_contract_warnings(old_review: dict, new_review: dict, old_text: str | None,
                                new_text: str | None) -> tuple[list[str], float | None]:
    """Chinese warnings when the two documents look like different contracts, and the text similarity
    (None when a text is not available)."""
    warnings: list[str] = []
    ratio = None
    if old_text is not None and new_text is not None:
        ratio = similarity(old_text, new_text)
        if ratio < LOW_SIMILARITY:
            warnings.append(f"两份文件的文字相似度仅 {ratio:.0%}，看起来不是同一份合同的两稿，逐项比较的结果可能没有意义。")
        else:
            t_old, t_new = _title(old_text), _title(new_text)
            if t_old and t_new and t_old != t_new and ratio < TITLE_SIMILARITY \
                    and difflib.SequenceMatcher(None, t_old, t_new).ratio() < 0.8:
                warnings.append(f"两份文件的标题不同，文字相似度为 {ratio:.0%}，请确认是同一份合同的两稿。")
    p_old = (old_review.get("document") or {}).get("parties") or {}
    p_new = (new_review.get("document") or {}).get("parties") or {}
    for role in ("customer", "provider", "manager"):
        a, b = _named(p_old.get(role)), _named(p_new.get(role))
        if a and b and not _same_party(a, b):
            warnings.append(f"两份文件的{ROLE_ZH[role]}名称不同，可能不是同一份合同。")
    if old_review.get("profile") != new_review.get("profile"):
        warnings.append("两稿按不同的审查模板审查，逐项比较不可靠。")
    return warnings, ratio


def _read_text(path: str) -> str | None:
    try:
        from nlp import read_path

        return read_path(path).text
    except Exception:  # the reviews were read already; a second read failing only loses the text check
        return None


def warn_cli(old_path: str, new_path: str, old_review: dict, new_review: dict, stream=None) -> list[str]:
    """For `clausecheck diff`: print the warnings to stderr (they never quote the contract) and return them."""
    warnings, _ = different_contract_warnings(old_review, new_review, _read_text(old_path), _read_text(new_path))
    for w in warnings:
        print(f"clausecheck: 警告：{w}", file=stream or sys.stderr)
    return warnings
