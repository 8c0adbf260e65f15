"""Deadlines in contract text, normalised: 立即/第一时间 (immediate), 及时/尽快 (prompt, no figure),
and periods such as 2小时内, 五个工作日内, 十五日内 read with cn2an into an amount, a unit and hours."""
from __future__ import annotations

import re
from dataclasses import dataclass

import cn2an

_IMMEDIATE = re.compile(r"立即|立刻|马上|即时|第一时间|随即")
_PROMPT = re.compile(r"及时|尽快|迅速|从速")
_NUM = r"[0-9０-９]+(?:\.[0-9]+)?|[零〇一二两三四五六七八九十百千半]+"
_PERIOD = re.compile(rf"(?P<n>{_NUM})\s*(?:个)?(?P<unit>小时|分钟|工作日|自然日|日|天|周|星期|个月|月|年)(?P<within>以?内|之内)?")
_HOURS = {"分钟": 1 / 60, "小时": 1, "工作日": 24, "自然日": 24, "日": 24, "天": 24, "周": 168, "星期": 168,
          "个月": 720, "月": 720, "年": 8760}


@dataclass(frozen=True)
class Deadline:
    text: str
    start: int
    kind: str  # immediate | prompt | within | period
    amount: float | None = None
    unit: str | None = None

    @property
    def hours(self) -> float | None:
        if self.kind == "immediate":
            return 0.0
        if self.amount is None or self.unit is None:
            return None
        return self.amount * _HOURS[self.unit]


def _number(s: str) -> float | None:
    s = s.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    if s == "半":
        return 0.5
    if len(s) > 12:  # no deadline needs more; cn2an and float() on thousands of digits overflow or crawl
        return None
    try:
        return float(s) if s[0].isdigit() else float(cn2an.cn2an(s.replace("两", "二"), "smart"))
    except (ValueError, KeyError, IndexError, OverflowError):
        return None


def find_deadlines(text: str) -> list[Deadline]:
    out = [Deadline(m.group(), m.start(), "immediate") for m in _IMMEDIATE.finditer(text)]
    out += [Deadline(m.group(), m.start(), "prompt") for m in _PROMPT.finditer(text)]
    for m in _PERIOD.finditer(text):
        amount = _number(m.group("n"))
        if amount is not None:
            out.append(Deadline(m.group(), m.start(), "within" if m.group("within") else "period", amount,
                                m.group("unit")))
    return sorted(out, key=lambda d: d.start)
