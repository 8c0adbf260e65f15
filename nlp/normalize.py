"""Character normalisation. Every offset the product reports refers to the text this returns."""
from __future__ import annotations

import re
import unicodedata

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_PUNCT = str.maketrans({
    "\u3000": " ", "\u00a0": " ",
    "“": "“", "”": "”", "\u301d": "“", "\u301e": "”", "\u301f": "”",
    "﹐": "，", "﹑": "、", "﹔": "；", "﹕": "：", "﹖": "？", "﹗": "！",
    "—": "—", "―": "—", "－": "-", "〜": "～",
})


def _fullwidth_to_halfwidth(ch: str) -> str:
    # Only letters and digits: Chinese punctuation (，。；：（）) carries structure and stays full width.
    o = ord(ch)
    if 0xFF10 <= o <= 0xFF19 or 0xFF21 <= o <= 0xFF3A or 0xFF41 <= o <= 0xFF5A:
        return chr(o - 0xFEE0)
    return ch


def normalize(text: str) -> str:
    text = _ZERO_WIDTH.sub("", text)
    text = "".join(_fullwidth_to_halfwidth(c) for c in text)
    text = text.translate(_PUNCT)
    text = unicodedata.normalize("NFC", text)
    return to_simplified(text)


_converter = None


def to_simplified(text: str) -> str:
    global _converter
    if _converter is None:
        from opencc import OpenCC

        _converter = OpenCC("t2s")
    return _converter.convert(text)
