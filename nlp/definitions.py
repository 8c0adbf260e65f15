"""Defined terms ("甲方数据"指…, 下文所称“业务数据”包括…, …均为您的用户业务数据) so that a clause using a
term can be read at the term's width, wherever the definition stands."""
from __future__ import annotations

import re

_Q_OPEN = "“\"「‘"
_Q_CLOSE = "”\"」’"
_TERM = r"[\u4e00-\u9fffA-Za-z]{2,12}"

_DEF = re.compile(
    r"[“\"「‘]?(?P<term>[\u4e00-\u9fffA-Za-z]{2,12})[”\"」’]?\s*(?:[:：]\s*|是)?指(?![定出导示令派南标明挥])(?P<body>[^。\n]{2,400})")
# 下文所称“业务数据”，包括… / 本协议所称“客户数据”是指…
_SO_CALLED = re.compile(
    rf"(?:下文|下称|以下|本协议|本合同|本条款|本条)(?:中)?所称[{_Q_OPEN}](?P<term>{_TERM})[{_Q_CLOSE}][，,]?\s*"
    r"(?:是指|系指|指|包括|包含|即)(?P<body>[^。\n]{2,400})")
# …处理的数据，均为您的用户业务数据 / …统称为“客户内容”
_NAMED_AFTER = re.compile(
    rf"(?P<body>[^。；\n]{{4,200}}?)[，,]\s*(?:均为|均属于|统称为|统称|合称为|以下统称)(?:您的|用户的|客户的)?[{_Q_OPEN}]?"
    rf"(?P<term>{_TERM}?)[{_Q_CLOSE}]?(?=[。；，,）)]|$)")


def find_definitions(text: str) -> dict[str, str]:
    defs: dict[str, str] = {}
    for rx in (_SO_CALLED, _DEF, _NAMED_AFTER):
        for m in rx.finditer(text):
            term = m.group("term")
            if term.startswith(("本合同", "本协议")) and len(term) <= 4:
                continue
            defs.setdefault(term, m.group("body"))
    return defs
