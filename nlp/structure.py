"""Contract structure: chapters, articles, clauses and attachments with their labels and offsets."""
from __future__ import annotations

import re

from .model import Paragraph, Section

_CN = "一二三四五六七八九十百零〇两"
LABELS = [
    ("attachment", re.compile(rf"^(附件[{_CN}\d]*)[：:\s]?")),
    ("chapter", re.compile(rf"^(第[{_CN}\d]+[章编部分]+)")),
    ("article", re.compile(rf"^(第[{_CN}\d]+条)")),
    ("article", re.compile(r"^(\d{1,2}\.\d{1,2}\.\d{1,2})(?![\d.])")),
    ("article", re.compile(r"^(\d{1,2}\.\d{1,2})(?![\d.])")),
    ("clause", re.compile(rf"^([{_CN}]{{1,3}}、)")),
    ("clause", re.compile(rf"^([（(][{_CN}]{{1,3}}[）)])")),
    ("item", re.compile(r"^(\d{1,2}[.、．](?!\d))")),
    ("item", re.compile(r"^([（(]\d{1,2}[）)])")),
    ("item", re.compile(r"^([①-⑳])")),
]
_RANK = {"attachment": 0, "chapter": 1, "article": 2, "clause": 3, "item": 4}


def label_of(text: str) -> tuple[str, str] | None:
    t = text.lstrip()
    for level, rx in LABELS:
        m = rx.match(t)
        if m:
            return level, m.group(1)
    return None


def parse_sections(paragraphs: list[Paragraph], text_len: int) -> list[Section]:
    """A flat, ordered list of sections; each runs until the next section of the same or higher rank."""
    flat: list[Section] = []
    for p in paragraphs:
        lab = label_of(p.text)
        if not lab:
            continue
        level, label = lab
        title = p.text.strip()[len(label):].strip(" ：:　")[:40]
        flat.append(Section(level=level, label=label.rstrip("、.．"), title=title, start=p.start, end=text_len,
                            page=p.page))
    for i, s in enumerate(flat):
        for nxt in flat[i + 1:]:
            if _RANK[nxt.level] <= _RANK[s.level]:
                s.end = nxt.start
                break
    return flat


def article_at(sections: list[Section], offset: int) -> str | None:
    """The label a lawyer cites for a passage: the innermost article, else the clause/chapter."""
    best = None
    for s in sections:
        if s.start <= offset < s.end and s.level in ("article", "clause", "attachment"):
            if best is None or _RANK[s.level] <= _RANK["article"] or best.level == "attachment":
                best = s if (best is None or s.start >= best.start) else best
    return best.label if best else None
