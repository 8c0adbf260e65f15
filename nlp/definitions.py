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
# …处理的数据，均为您的用户业务数据 / …统称为“客户内容”: the naming words are found first and the
# body (4-200 characters of the same sentence before the comma) is read backwards from them. A regex
# that tries every start position for the body costs up to 200 steps per character on a long line.
_NAMED_AFTER = re.compile(
    rf"[，,]\s*(?:均为|均属于|统称为|统称|合称为|以下统称)(?:您的|用户的|客户的)?[{_Q_OPEN}]?"
    rf"(?P<term>{_TERM}?)[{_Q_CLOSE}]?(?=[。；，,）)]|$)")
_SENTENCE_END = re.compile(r"[。；\n]")


def find_definitions(text: str) -> dict[str, str]:
    defs: dict[str, str] = {}
    found = [(m.group("term"), m.group("body")) for rx in (_SO_CALLED, _DEF) for m in rx.finditer(text)]
    found += _named_after(text)
    for term, body in found:
        if term.startswith(("本合同", "本协议")) and len(term) <= 4:
            continue
        defs.setdefault(term, body)
    return defs


def _named_after(text: str) -> list[tuple[str, str]]:
    """(term, body) for "<body>，均为/统称<term>": the body is the longest stretch of at most 200
    characters before the comma that stays in the sentence and after the previous such definition,
    and has at least 4 characters."""
    out, pos = [], 0
    for m in _NAMED_AFTER.finditer(text):
        comma = m.start()
        if comma < pos:
            continue
        lo = max(pos, comma - 200)
        ends = [e.end() for e in _SENTENCE_END.finditer(text, lo, comma)]
        lo = ends[-1] if ends else lo
        if comma - lo < 4:
            continue
        out.append((m.group("term"), text[lo:comma]))
        pos = m.end()
    return out
