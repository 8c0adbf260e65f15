"""Character normalisation. Every offset the product reports refers to the text this returns.

One `str.translate` table does the per-character work (zero-width and control characters, space, width
and punctuation variants), then NFC, then traditional -> simplified through OpenCC. Chinese punctuation
that carries structure (，。；：（）、！？《》【】) and the full-width bar ｜ (our table-cell separator) stay
as they are.
"""
from __future__ import annotations

import threading
import unicodedata


def _table() -> dict[int, str | None]:
    t: dict[int, str | None] = {}
    # zero-width, soft hyphen, bidi marks and embeddings: invisible in print, they split words for matching
    for cp in (0x00AD, 0x180E, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0x2061, 0x2062, 0x2063,
               0x2064, 0xFEFF, *range(0x202A, 0x202F), *range(0x2066, 0x206A)):
        t[cp] = None
    for cp in (*range(0x00, 0x09), *range(0x0E, 0x20), 0x7F):
        t[cp] = None
    for cp in (0x0B, 0x0C, 0x00A0, *range(0x2000, 0x200B), 0x202F, 0x205F, 0x3000):
        t[cp] = " "
    # full-width digits and letters -> ASCII, so "３０日" and "30日", "ＩＳＯ" and "ISO" match alike
    for cp in (*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B)):
        t[cp] = chr(cp - 0xFEE0)
    # full-width symbols that are not Chinese punctuation -> ASCII ("30％", "1．", "ＧＢ／Ｔ")
    for ch in "＂＃＄％＆＇＊＋－．／＜＝＞＠［＼］＾＿｀｛｝":
        t[ord(ch)] = chr(ord(ch) - 0xFEE0)
    t.update({ord(k): v for k, v in _PUNCT.items()})
    # Kangxi radicals and enclosed "⑴", "⒈": PDF text layers produce them for plain characters/labels
    for cp in (*range(0x2F00, 0x2FD6), *range(0x2474, 0x249C)):
        t[cp] = unicodedata.normalize("NFKC", chr(cp))
    for cp in range(0x2E80, 0x2EF4):
        folded = unicodedata.normalize("NFKC", chr(cp))
        if folded != chr(cp):
            t[cp] = folded
    return t


_PUNCT = {
    # quotes: corner brackets and typographic variants -> Chinese curly quotes
    "「": "“", "」": "”", "『": "‘", "』": "’", "〝": "“", "〞": "”", "〟": "”", "„": "“", "‟": "“",
    "‚": "‘", "‛": "‘", "﹁": "“", "﹂": "”", "﹃": "‘", "﹄": "’", "｢": "“", "｣": "”",
    # dashes: hyphen-likes -> "-", long dashes -> "—" (the Chinese dash is two of them)
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "−": "-", "﹣": "-",
    "―": "—", "─": "—", "━": "—", "⸺": "——", "⸻": "———", "〜": "～", "⋯": "…",
    # half-width, small and vertical forms of Chinese punctuation
    "｡": "。", "､": "、", "･": "·", "・": "·", "‧": "·",
    "﹐": "，", "﹑": "、", "﹒": ".", "﹔": "；", "﹕": "：", "﹖": "？", "﹗": "！", "﹙": "（", "﹚": "）",
    "﹛": "{", "﹜": "}", "﹝": "〔", "﹞": "〕", "﹟": "#", "﹠": "&", "﹡": "*", "﹢": "+", "﹤": "<",
    "﹥": ">", "﹦": "=", "﹨": "\\", "﹩": "$", "﹪": "%", "﹫": "@",
    "︐": "，", "︑": "、", "︒": "。", "︓": "：", "︔": "；", "︕": "！", "︖": "？", "︗": "〖", "︘": "〗",
    "︙": "…", "︵": "（", "︶": "）", "︷": "{", "︸": "}", "︹": "〔", "︺": "〕", "︻": "【", "︼": "】",
    "︽": "《", "︾": "》", "︿": "〈", "﹀": "〉",
}
_TABLE = _table()


def normalize(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.translate(_TABLE)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)  # also folds CJK compatibility ideographs (U+F900..)
    return to_simplified(text) if not text.isascii() else text


_converter = None
_lock = threading.Lock()


def to_simplified(text: str) -> str:
    global _converter
    if _converter is None:
        with _lock:
            if _converter is None:
                from opencc import OpenCC  # official bindings or the pure-Python package: same API

                _converter = OpenCC("t2s")
    return _converter.convert(text)
