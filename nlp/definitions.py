"""Defined terms ("甲方数据"指…) so that a clause using a term can be read with the term's scope."""
from __future__ import annotations

import re

_DEF = re.compile(
    r"[“\"「‘]?(?P<term>[\u4e00-\u9fffA-Za-z]{2,12})[”\"」’]?\s*(?:[:：]\s*|是)?指(?![定出导示令派南标明挥])(?P<body>[^。\n]{2,400})")


def find_definitions(text: str) -> dict[str, str]:
    defs: dict[str, str] = {}
    for m in _DEF.finditer(text):
        term = m.group("term")
        if term.startswith(("本合同", "本协议")) and len(term) <= 4:
            continue
        defs.setdefault(term, m.group("body"))
    return defs
