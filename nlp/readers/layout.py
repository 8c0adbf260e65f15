"""From positioned lines to paragraphs, shared by the PDF, OCR and OFD readers.

Fixed-layout formats give us lines, not paragraphs: a paragraph is wrapped over several lines and
every page repeats a header, a footer and a page number. The readers turn each page into `Line`s with
coordinates as fractions of the page size (so pages of different sizes, and scans measured in
pixels, compare), then `remove_running()` drops headers/footers and `join_lines()` rebuilds the
paragraphs.
"""
from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

from ..model import Block

# CJK ideographs, CJK and full-width punctuation, kana. The ideographic space (U+3000) is left out:
# it is whitespace, not text.
CJK = "\u2e80-\u2fdf\u3001-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
# Readers tell apart a space character that is in the file (the author typed it: keep it) from a
# gap between glyphs, which they mark SOFT: extractors and OCR turn such gaps into spaces
# ('第 3 条', '30 日内', '甲 方') that the author never typed. A gap wider than CELL_GAP characters
# is marked CELL instead: table cells, or the halves of a signature block; blocks join cells with
# '｜' as the Word and text readers do.
SOFT = "\x1f"
CELL = "\t"
CELL_GAP = 2.0
_SOFT_RUN = re.compile(f"{SOFT}+")
_SOFT_NEAR = re.compile(rf"(?<=[{CJK} ]){SOFT}|{SOFT}(?=[{CJK} ])")
# What a typesetter moves to the next line whole: a Latin word or number (with what sticks to it),
# or an opening bracket or quote with the character after it.
_FIRST_UNIT = re.compile(r"[A-Za-z0-9¥$][A-Za-z0-9.,:/%\-—–_@]*|[（(《“‘「『【〔][^ ]")
# Sentence-final punctuation, optionally followed by closing quotes or brackets.
_FINAL = re.compile(r"[。；：！？;:!?][”’」』）)】]*$")

_CN = "一二三四五六七八九十百零〇两"
# Structural labels that start a paragraph. Kept here rather than borrowed from nlp.structure: this
# one decides where lines break, must match the whole label with its punctuation, and must not
# take '1.5万元' or '30日' at the start of a wrapped line for a label.
_LABEL = re.compile("|".join((
    rf"第[{_CN}\d]+(?:条|章|节|款|编|部分)",
    rf"附[件表录](?:[{_CN}\d]+|(?=[：:]|$))",
    rf"[{_CN}]{{1,3}}、",
    rf"[（(][{_CN}]{{1,3}}[）)]",
    r"\d{1,2}(?:\.\d{1,2}){1,2}(?![\d.%％万亿元倍个日天年月条款项])",
    r"\d{1,2}[.、．](?!\d)",
    r"[（(]\d{1,2}[）)]",
    r"[①-⑳]",
)))


# Headings: never a continuation, even in a layout that marks paragraphs by indentation.
_STRONG = re.compile(rf"第[{_CN}\d]+(?:条|章|节|编|部分)|附[件表录]|[{_CN}]{{1,3}}、")


# '5 安全与保密': a heading numbered by a bare number, whose space pdfium may report as a gap. Units
# keep '30 日内' (a wrapped line's start) from looking like one.
_BARE_HEADING = re.compile(rf"^(\d{{1,2}}){SOFT}(?![万亿千百元倍年月日天周小时分秒个条款项版折台套块张件部只名人次户份家组节根])"
                           r"(?=[\u4e00-\u9fff、与和及]{1,20}$)")


# What follows a label that is only cited: '第二条的规定', '第五章约定的', '第3.3.2条款项'.
_REFERENCE = re.compile(r"\s*(?:约定|规定|所|的|中|至|和|及|或|项下|之|内容|、)")


def label_of(text: str) -> str | None:
    """The structural label a line starts with ('第3条', '（一）', '1.1', '附件一'), if any; not a
    label that a wrapped sentence merely cites at the start of a line."""
    text = text.lstrip()
    m = _LABEL.match(text)
    if not m or _REFERENCE.match(text, m.end()):
        return None
    return m.group()


_PAGE_NUMBER = [re.compile(p) for p in (
    r"^[-—–－_~·•\s]*\d{1,4}[-—–－_~·•\s]*$",                      # 3, - 3 -, —3—
    r"^第\d{1,4}页([,，/\s]*共\d{1,4}页)?$",                        # 第3页, 第3页共10页
    r"^共\d{1,4}页[,，/\s]*第\d{1,4}页$",
    r"^第[一二三四五六七八九十百零〇]{1,5}页$",
    r"^\d{1,4}\s*/\s*\d{1,4}$",                                      # 3/10
    r"^(?i:page)\s*\d{1,4}(\s*(?i:of)\s*\d{1,4})?$",
    r"^\d{1,4}\s*(?i:of)\s*\d{1,4}$",
)]
_BARE_NUMBER = re.compile(r"^[-—–－\s]*\d{1,4}[-—–－\s]*$")


@dataclass
class Line:
    text: str
    page: int  # 1-based
    x0: float | None = None  # left edge, fraction of page width
    x1: float | None = None  # right edge, fraction of page width
    top: float | None = None  # fraction of page height, 0 at the top
    size: float | None = None  # height of a character, fraction of page width

    @property
    def has_geometry(self) -> bool:
        return None not in (self.x0, self.x1, self.top, self.size)


def clean_spaces(text: str, starts_block: bool = True) -> str:
    """Resolve SOFT gaps: dropped next to Chinese, a space between Latin words or digits.

    At the start of a paragraph, a gap right after a structural label ('第一条 定义', '1. 定义',
    '5 安全与保密') stays a space: that is how such headings are written, and the label stays
    readable. A continuation line that happens to start with '3.3.2 条' gets no such space.
    """
    text = _SOFT_RUN.sub(SOFT, text).strip(" " + SOFT)
    squeezed = _SOFT_NEAR.sub("", text)
    if not starts_block:
        return squeezed.replace(SOFT, " ")
    # The gap itself may be what makes a label ('12.1␟个人信息' is a label, '12.1个' a quantity).
    label = label_of(text.replace(SOFT, " ")) or label_of(squeezed.replace(SOFT, " "))
    if label and not squeezed.startswith(label):
        label = None
    if label:
        # Walk the original past the label's characters to see whether a gap followed it.
        i = n = 0
        while n < len(label) and i < len(text):
            if text[i] not in (" ", SOFT):
                n += 1
            i += 1
        rest = squeezed[len(label):]
        # A full-width bracket or 、 carries its own spacing: a gap after '（1）' is the renderer's.
        if (i < len(text) and text[i] == SOFT and rest and rest[0] not in (" ", SOFT)
                and label[-1] not in "）、．" and not unicodedata.category(rest[0]).startswith("P")):
            squeezed = f"{label}{SOFT}{rest}"
    elif _BARE_HEADING.match(text):
        squeezed = _BARE_HEADING.sub(r"\1 ", text, count=1)
    return squeezed.replace(SOFT, " ")


def is_page_number(text: str) -> bool:
    t = text.replace(" ", "").replace(SOFT, "")
    return any(rx.match(t) for rx in _PAGE_NUMBER)


def _running_key(text: str) -> str:
    return re.sub(r"\d+", "#", text.replace(" ", "").replace(SOFT, ""))


def remove_running(pages: list[list[Line]], edge_lines: int = 2) -> list[list[Line]]:
    """Remove running headers/footers and page numbers.

    A header or footer is a line among the top or bottom `edge_lines` of a page whose text (digits
    ignored, so '第 3 页' matches '第 4 页') recurs at about the same height on at least half of the
    pages. Page-number lines are removed there even on a single page. The title on page 1 survives
    a header that repeats it, because it is not at the header's height.
    """
    candidates: list[tuple[int, Line, str]] = []  # (page index, line, zone)
    for pi, lines in enumerate(pages):
        ordered = sorted((ln for ln in lines if ln.top is not None), key=lambda ln: ln.top)
        if not ordered:
            ordered = list(lines)  # no geometry: extraction order is all we have
        candidates += [(pi, ln, "top") for ln in ordered[:edge_lines]]
        candidates += [(pi, ln, "bottom") for ln in ordered[-edge_lines:]]

    threshold = max(2, (len(pages) + 1) // 2)
    drop: set[int] = set()
    for zone in ("top", "bottom"):
        for hits in _clusters([(pi, ln) for pi, ln, z in candidates if z == zone]):
            tops = sorted(ln.top for _, ln in hits if ln.top is not None)
            if tops:
                median = tops[len(tops) // 2]
                hits = [(pi, ln) for pi, ln in hits if ln.top is None or abs(ln.top - median) < 0.03]
            if len({pi for pi, _ in hits}) >= threshold:
                drop.update(id(ln) for _, ln in hits)

    for pi, ln, _ in candidates:
        if is_page_number(ln.text):
            lines = pages[pi]
            # A bare number is only a page number at the very edge of the page; inside it may be data.
            if _BARE_NUMBER.match(ln.text) and not _at_edge(ln, lines):
                continue
            drop.add(id(ln))
    return [[ln for ln in lines if id(ln) not in drop] for lines in pages]


def _clusters(items: list[tuple[int, Line]]) -> list[list[tuple[int, Line]]]:
    """Group edge lines by text: equal once digits are ignored, or — for OCR, which misreads a
    header differently on each page — at least 80% similar."""
    exact: dict[str, list[tuple[int, Line]]] = {}
    for pi, ln in items:
        key = _running_key(ln.text)
        if key:
            exact.setdefault(key, []).append((pi, ln))
    keys = sorted(exact, key=lambda k: -len(exact[k]))
    # Fuzzy comparison is quadratic: with many distinct edge lines, compare only against keys that
    # already repeat (a header read identically on at least two pages).
    targets = keys if len(keys) <= 400 else [k for k in keys if len(exact[k]) > 1]
    merged: dict[str, str] = {}
    for k in keys:
        for t in targets:
            if t == k:
                break
            t = merged.get(t, t)
            if t != k and _similar(k, t):
                merged[k] = t
                break
    groups: dict[str, list[tuple[int, Line]]] = {}
    for k in keys:
        groups.setdefault(merged.get(k, k), []).extend(exact[k])
    return list(groups.values())


# Headers and footers are short; comparing long lines is quadratic in their length (difflib).
MAX_RUNNING_LEN = 200


def _similar(a: str, b: str) -> bool:
    if min(len(a), len(b)) < 4 or abs(len(a) - len(b)) > 0.25 * max(len(a), len(b)):
        return False
    if max(len(a), len(b)) > MAX_RUNNING_LEN:
        return False
    sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
    return sm.real_quick_ratio() >= 0.8 and sm.quick_ratio() >= 0.8 and sm.ratio() >= 0.8


def _at_edge(line: Line, lines: list[Line]) -> bool:
    tops = [ln.top for ln in lines if ln.top is not None]
    if line.top is None or not tops:
        return line is lines[0] or line is lines[-1]
    return line.top <= min(tops) or line.top >= max(tops)


def _percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


@dataclass
class _Geometry:
    right: float
    left: float
    indents: bool  # paragraphs start with a first-line indent


def _geometry(lines: list[Line]) -> _Geometry | None:
    geo = [ln for ln in lines if ln.has_geometry and len(ln.text) >= 2]
    if len(geo) < 3:
        return None
    # Punctuation may hang in the margin (kinsoku); lines ending in it would set the margin too far.
    plain = [ln.x1 for ln in geo if not unicodedata.category(ln.text[-1]).startswith("P")]
    right = _percentile(plain if len(plain) >= 3 else [ln.x1 for ln in geo], 0.9)
    left = _percentile([ln.x0 for ln in geo], 0.05)
    g = _Geometry(right=right, left=left, indents=False)
    # Lines after a line that clearly ends a paragraph start one; do most of them start indented?
    starts = [b for a, b in zip(geo, geo[1:])
              if not _is_full(a, g) and not _centred(b, g) and not _STRONG.match(label_of(b.text) or "")]
    indented = [b for b in starts if _is_indented(b, g)]
    g.indents = len(starts) >= 3 and len(indented) >= 0.6 * len(starts)
    return g


def _is_full(line: Line, g: _Geometry, nxt: Line | None = None) -> bool:
    """Does the line reach the right margin — or stop short only because the next line's first
    word (a number, a Latin word, an opening bracket with its character) did not fit?"""
    room = 1.5
    if nxt is not None:
        m = _FIRST_UNIT.match(nxt.text)
        if m:
            room = max(room, 0.6 * len(m.group()) + 0.5)
    return line.x1 >= g.right - room * line.size


def _is_indented(line: Line, g: _Geometry) -> bool:
    return line.x0 >= g.left + 1.2 * line.size


def _centred(line: Line, g: _Geometry) -> bool:
    return abs((line.x0 - g.left) - (g.right - line.x1)) < 2 * line.size and line.x0 > g.left + 3 * line.size


def _continues(prev: Line, nxt: Line, g: _Geometry | None) -> bool:
    label = label_of(nxt.text)
    geo = g is not None and prev.has_geometry and nxt.has_geometry
    if geo and g.indents:
        # This layout marks paragraph starts by indentation, a surer sign than a weak label, which may
        # be an inline enumeration wrapped to the start of a line ('…；（2）…'); and a sentence may end
        # exactly at the right margin with the paragraph going on.
        if label and _STRONG.match(label):
            return False
        return _is_full(prev, g, nxt) and not _is_indented(nxt, g)
    if label or _FINAL.search(prev.text):
        return False
    return _is_full(prev, g, nxt) if geo else True


def _joint(a: str, b: str) -> str:
    """What goes between a line ending in `a` and the next starting with `b`: Latin words wrapped
    over a line break need their space back; Chinese never had one. Looks at one character each
    side (a search anchored at the end of a growing paragraph would rescan it for every line)."""
    if a and re.match(r"[A-Za-z0-9,.;:)]", a[-1]) and re.match(r"[A-Za-z0-9(]", b):
        return " "
    return ""


def join_lines(lines: list[Line], kind: str = "paragraph") -> list[Block]:
    """Re-join wrapped lines into paragraph blocks; each block keeps the page it starts on.
    A line of cells is a table row of its own and never joined."""
    lines = [ln for ln in lines if ln.text.strip(" " + SOFT + CELL)]
    raw: dict[int, str] = {}
    rows: set[int] = set()
    for ln in lines:
        raw[id(ln)] = ln.text
        if CELL in ln.text:
            cells = (clean_spaces(c, starts_block=False) for c in ln.text.split(CELL))
            ln.text = "｜".join(c for c in cells if c)
            rows.add(id(ln))
        else:
            ln.text = clean_spaces(ln.text)
            if "｜" in ln.text:
                rows.add(id(ln))
    g = _geometry([ln for ln in lines if id(ln) not in rows])
    blocks: list[Block] = []
    parts: list[list[str]] = []  # each block's text as pieces, joined once (a paragraph may span pages)
    prev: Line | None = None
    for ln in lines:
        row = id(ln) in rows
        if prev is not None and not row and id(prev) not in rows and _continues(prev, ln, g):
            more = clean_spaces(raw[id(ln)], starts_block=False)
            if more:  # pieces stay non-empty, so the last one ends with the block's last character
                parts[-1] += [_joint(parts[-1][-1] if parts[-1] else "", more), more]
        else:
            blocks.append(Block(text=ln.text, page=ln.page, kind="table_row" if row else kind))
            parts.append([ln.text] if ln.text else [])
        prev = ln
    for block, pieces in zip(blocks, parts):
        block.text = "".join(pieces)
    return blocks


def page_list(pages: list[int]) -> str:
    """'1–3、5' for pages [1, 2, 3, 5], so a 60-page scan gives one warning, not sixty."""
    runs: list[list[int]] = []
    for p in sorted(set(pages)):
        if runs and p == runs[-1][-1] + 1:
            runs[-1].append(p)
        else:
            runs.append([p])
    return "、".join(str(r[0]) if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs)
