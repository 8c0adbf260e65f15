"""Word .docx (also .docm/.dotx), read part by part: only the main document, its styles, numbering and
altChunk parts are ever inflated, each through the bounded zip reader (zipsafe) and parsed without
DTDs or entities under a shared element budget (xmlsafe). python-docx, which loads every part of the
package into memory, is not used for reading.

The body is walked in document order (paragraphs and table rows), as a reader of the printed page
would see it:
- tracked changes read as accepted: insertions kept, deletions and moved-away text dropped, a paragraph
  whose mark was deleted runs on into the next one;
- Word's automatic numbering ("第一条", "1.", "（一）"), which is not in the text runs, is rebuilt from
  numbering.xml into Block.label;
- comments, headers, footers, footnotes live in other parts and never reach the body; hidden text,
  tables of contents and field codes are skipped;
- pages come from the page breaks Word recorded when it last laid the file out, else from explicit
  page breaks; with neither, pages are unknown (None).
"""
from __future__ import annotations

import posixpath
import re

from ..errors import CorruptDocument, DocumentError, TooComplex, UnsupportedType
from ..limits import Budget, Limits
from ..model import Block, RawDocument
from . import xmlsafe
from .sniff import open_zip, sniff
from .xmlsafe import XmlBudget
from .zipsafe import SafeZip

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
M = "http://schemas.openxmlformats.org/officeDocument/2006/math"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


P, TBL, TR, TC, R, T = _w("p"), _w("tbl"), _w("tr"), _w("tc"), _w("r"), _w("t")
PPR, RPR, SDT, SDTCONTENT = _w("pPr"), _w("rPr"), _w("sdt"), _w("sdtContent")
DEL, INS, MOVEFROM, MOVETO = _w("del"), _w("ins"), _w("moveFrom"), _w("moveTo")
TXBX = _w("txbxContent")
VAL = _w("val")
ALTERNATE, CHOICE, FALLBACK = f"{{{MC}}}AlternateContent", f"{{{MC}}}Choice", f"{{{MC}}}Fallback"
# inline containers whose children are read as if they were the paragraph's own
_SKIP_INLINE = {PPR, RPR, DEL, MOVEFROM, _w("instrText"), _w("delText"), _w("delInstrText"), FALLBACK}
# Wingdings/Symbol glyphs that carry meaning in contracts (check boxes)
_SYMBOLS = {"F0A8": "☐", "F06F": "□", "F0FE": "☑", "F078": "☒", "F0FD": "☒", "F0FC": "✓", "F0B7": "•"}


def read(data: bytes, *, limits: Limits | None = None) -> RawDocument:
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        kind = sniff(data)  # a password-protected .docx is an OLE file: this raises EncryptedDocument
        raise CorruptDocument(f"文件不是 .docx（而是 {kind}）。", f"The file is not a .docx (it is {kind}).")
    budget = Budget(limits)
    with open_zip(data) as zf:
        pkg = _Package(zf)
        root, numbering_root, styles_root = pkg.main_parts()
        styles = _Styles(styles_root)
        walker = _Walker(_Numbering(numbering_root, styles), styles, _page_mode(root), pkg.chunk, budget)
        body = root.find(_w("body"))
        if body is None:
            if "purl.oclc.org/ooxml" in root.tag:
                raise UnsupportedType("这是“Strict Open XML”格式的Word文档，请在Word中另存为普通 .docx 后上传。",
                                      "This is a Strict Open XML Word document; save it as a regular .docx "
                                      "and upload that.")
            raise CorruptDocument("Word文档缺少正文部分，文件可能已损坏。", "The Word document has no body; it may be damaged.")
        try:
            walker.container(body)
            walker.flush()
        except RecursionError:  # xmlsafe caps depth at 256; this only guards the walk's own frames
            raise TooComplex("Word文档的嵌套层次过深。", "The Word document is nested too deeply.") from None
    warnings = []
    if walker.tracked:
        warnings.append("文档含有未处理的修订痕迹，已按“接受全部修订”后的文本审查。")
    if walker.unread_chunks:
        warnings.append(f"文档嵌入了{walker.unread_chunks}段无法读取的外部格式内容（altChunk），"
                        "其中的文字未审查；请在Word中打开并另存为 .docx 后重新上传。")
    return RawDocument(format="docx", blocks=walker.blocks, pages=walker.page, warnings=warnings)


# --- the package: just the parts the body needs, each read through the bounded zip reader -----------

_PKG_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_CT = "http://schemas.openxmlformats.org/package/2006/content-types"
_MAIN_TYPES = ("wordprocessingml.document.main+xml", "wordprocessingml.template.main+xml",
               "ms-word.document.macroEnabled.main+xml", "ms-word.template.macroEnabledTemplate.main+xml")
SMALL_PART = 4 * 1024 * 1024  # [Content_Types].xml and .rels parts: a few KB in real files


class _Package:
    """Office Open XML packaging (ECMA-376 part 2), as far as reading the body needs: the main part
    found through the package relationships, its styles, numbering and altChunk parts through its own.
    Nothing else (images, embedded objects, headers) is ever inflated. Part names are
    case-insensitive, as the standard says."""

    def __init__(self, zf: SafeZip):
        self.zf = zf
        self.names = {n.lstrip("/").lower(): n for n in zf.namelist()}
        self.xml_budget = XmlBudget()
        self.defaults: dict[str, str] = {}
        self.overrides: dict[str, str] = {}
        self.rels: dict[str, tuple[str, str]] = {}  # main part's relationship id -> (type, part name)
        types = self._xml("[Content_Types].xml", SMALL_PART)
        if types is not None:
            for el in types.iter(f"{{{_CT}}}Default"):
                self.defaults[(el.get("Extension") or "").lower()] = el.get("ContentType") or ""
            for el in types.iter(f"{{{_CT}}}Override"):
                self.overrides[(el.get("PartName") or "").lstrip("/").lower()] = el.get("ContentType") or ""

    def _xml(self, name: str, limit: int | None = None):
        actual = self.names.get(name.lstrip("/").lower())
        if actual is None:
            return None
        return xmlsafe.parse(self.zf.read(actual, limit), actual, self.xml_budget, remove_blank_text=True)

    def _relationships(self, part: str) -> list[tuple[str, str, str]]:
        """(id, type, target part name) of a part's internal relationships."""
        folder, base = posixpath.split(part)
        root = self._xml(posixpath.join(folder, "_rels", base + ".rels"), SMALL_PART)
        out = []
        for rel in (root.iter(f"{{{_PKG_RELS}}}Relationship") if root is not None else ()):
            target = rel.get("Target")
            if not target or rel.get("TargetMode") == "External":
                continue
            target = target.replace("\\", "/")
            name = posixpath.normpath(target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target))
            out.append((rel.get("Id") or "", rel.get("Type") or "", name))
        return out

    def _main_name(self) -> str:
        for _rid, rtype, name in self._relationships(""):
            if rtype.endswith("/officeDocument"):  # transitional and Strict namespaces alike
                return name
        for name, ctype in self.overrides.items():  # no package relationships: the content types say it
            if ctype.endswith(_MAIN_TYPES):
                return name
        raise CorruptDocument("Word文档缺少正文部分，文件可能已损坏。", "The Word document has no main part; it may be damaged.")

    def main_parts(self):
        """(document, numbering or None, styles or None) roots."""
        main = self._main_name()
        root = self._xml(main)
        if root is None:
            raise CorruptDocument("Word文档缺少正文部分，文件可能已损坏。",
                                  "The Word document has no body part; it may be damaged.")
        related: dict[str, str] = {}
        for rid, rtype, name in self._relationships(main):
            kind = rtype.rsplit("/", 1)[-1]
            related.setdefault(kind, name)
            self.rels[rid] = (kind, name)
        return root, self._xml(related["numbering"]) if "numbering" in related else None, \
            self._xml(related["styles"]) if "styles" in related else None

    def content_type(self, name: str) -> str:
        key = name.lstrip("/").lower()
        return self.overrides.get(key) or self.defaults.get(posixpath.splitext(key)[1].lstrip("."), "")

    def chunk(self, rid: str | None) -> tuple[str, bytes]:
        """(content type, bytes) of an altChunk part, read only when the body reaches it."""
        kind, name = self.rels.get(rid or "", ("", ""))
        actual = self.names.get(name.lower()) if kind == "aFChunk" else None
        if actual is None:
            return "", b""
        content_type, blob = self.content_type(name), self.zf.read(actual)
        if "html" in content_type:  # parsed by lxml.html: counted against the same element budget
            self.xml_budget.take(blob, actual)
        return content_type, blob


def _on(el) -> bool:
    """A w:b/w:vanish-style toggle: present and not switched off."""
    return el is not None and el.get(VAL) not in ("0", "false", "off")


def _page_mode(root) -> str | None:
    for _ in root.iter(_w("lastRenderedPageBreak")):
        return "rendered"
    for br in root.iter(_w("br")):
        if br.get(_w("type")) == "page":
            return "explicit"
    for _ in root.iter(_w("pageBreakBefore")):
        return "explicit"
    for sect in root.iter(_w("sectPr")):
        if sect.getparent().tag == PPR:  # a section break inside the body, not the body's own last sectPr
            return "explicit"
    return None


class _Styles:
    def __init__(self, root):
        self.styles: dict[str, object] = {}
        self.default_para: str | None = None
        self._kinds: dict[str | None, str] = {}
        self._num: dict[str | None, tuple[str | None, str | None]] = {}
        if root is None:
            return
        for st in root.iter(_w("style")):
            sid = st.get(_w("styleId"))
            if sid:
                self.styles[sid] = st
                if st.get(_w("type")) == "paragraph" and st.get(_w("default")) in ("1", "true", "on"):
                    self.default_para = sid

    def name(self, sid: str | None) -> str:
        st = self.styles.get(sid or "")
        n = st.find(_w("name")) if st is not None else None
        return (n.get(VAL) or "") if n is not None else ""

    def kind(self, sid: str | None) -> str:
        """toc | heading | paragraph, for a paragraph style (memoised: asked once per paragraph)."""
        if sid not in self._kinds:
            name = self.name(sid)
            self._kinds[sid] = ("toc" if _is_toc_style(sid, name) else
                                "heading" if _is_heading(name) else "paragraph")
        return self._kinds[sid]

    def num_pr(self, sid: str | None) -> tuple[str | None, str | None]:
        """(numId, ilvl) a paragraph style gives, following basedOn."""
        if sid not in self._num:
            self._num[sid] = self._num_pr(sid)
        return self._num[sid]

    def _num_pr(self, sid: str | None) -> tuple[str | None, str | None]:
        seen = set()
        while sid and sid not in seen and sid in self.styles:
            seen.add(sid)
            st = self.styles[sid]
            num = st.find(f"{PPR}/{_w('numPr')}")
            if num is not None:
                return _val(num, "numId"), _val(num, "ilvl")
            based = st.find(_w("basedOn"))
            sid = based.get(VAL) if based is not None else None
        return None, None


def _val(el, tag: str) -> str | None:
    child = el.find(_w(tag)) if el is not None else None
    return child.get(VAL) if child is not None else None


# --- numbering -----------------------------------------------------------------------------------

class _Level:
    __slots__ = ("fmt", "text", "start", "restart", "legal", "style")

    def __init__(self, lvl):
        fmt = lvl.find(_w("numFmt"))
        if fmt is None:  # Word 2010+ wraps custom formats in mc:AlternateContent; the fallback is standard
            fmt = lvl.find(f"{ALTERNATE}/{FALLBACK}/{_w('numFmt')}")
        self.fmt = fmt.get(VAL) if fmt is not None else "decimal"
        text = lvl.find(_w("lvlText"))
        # Word's own level texts ("第%1条", "%1.%2.%3.") are a few characters; a long one would be
        # repeated on every numbered paragraph.
        self.text = text.get(VAL)[:MAX_LEVEL_TEXT] if text is not None and text.get(VAL) else None
        self.start = _number(_val(lvl, "start"), 0)  # ECMA-376 default; Word writes it explicitly
        restart = _val(lvl, "lvlRestart")
        self.restart = _int(restart, -1) if restart is not None else None
        self.legal = _on(lvl.find(_w("isLgl")))
        self.style = _val(lvl, "pStyle")


def _int(s: str | None, default: int) -> int:
    if s is None or len(s) > 12:  # int() of a forged 4,000-digit value costs quadratic time
        return default
    try:
        return int(s)
    except ValueError:
        return default


# Word accepts start values 0-32767; anything beyond is clamped, so a forged start of 10**4000 cannot
# build a label thousands of characters long (or a letter label of 200 MB).
MAX_START = 32767
MAX_LEVEL_TEXT = 64
LEVELS = range(10)  # w:ilvl 0-8 in Word; 9 kept for files that use it


def _number(s: str | None, default: int) -> int:
    if s is not None and len(s) > 12:  # a forged thousand-digit value: clamped without converting it
        return 0 if s.lstrip().startswith("-") else MAX_START
    return min(max(_int(s, default), 0), MAX_START)


class _Numbering:
    """Counters follow Word: lists sharing an abstract definition continue each other's numbers; a list
    instance with a startOverride restarts the level the first time it is used."""

    def __init__(self, root, styles: _Styles):
        self.styles = styles
        self.abstract: dict[str, dict[int, _Level]] = {}
        self.style_link: dict[str, str] = {}
        self.nums: dict[str, tuple[str, dict[int, int], dict[int, _Level]]] = {}
        self.counters: dict[str, list[int | None]] = {}
        self.used: set[str] = set()
        if root is None:
            return
        for ab in root.iter(_w("abstractNum")):
            aid = ab.get(_w("abstractNumId"))
            # only the ten levels a list can have: a forged list with a million levels would be
            # copied for every numbered paragraph
            self.abstract[aid] = {ilvl: _Level(lv) for lv in ab.findall(_w("lvl"))
                                  if (ilvl := _int(lv.get(_w("ilvl")), 0)) in LEVELS}
            link = _val(ab, "numStyleLink")
            if link:
                self.style_link[aid] = link
        for num in root.iter(_w("num")):
            starts, levels = {}, {}
            for ov in num.findall(_w("lvlOverride")):
                ilvl = _int(ov.get(_w("ilvl")), 0)
                if ilvl not in LEVELS:
                    continue
                so = _val(ov, "startOverride")
                if so is not None:
                    starts[ilvl] = _number(so, 1)
                lv = ov.find(_w("lvl"))
                if lv is not None:
                    levels[ilvl] = _Level(lv)
            self.nums[num.get(_w("numId"))] = (_val(num, "abstractNumId"), starts, levels)

    def _abstract_of(self, num_id: str) -> str | None:
        aid = self.nums[num_id][0]
        for _ in range(3):  # numStyleLink: the definition lives with the numbering style's own list
            link = self.style_link.get(aid)
            if not link:
                break
            linked_num, _lvl = self.styles.num_pr(link)
            if linked_num not in self.nums:
                break
            aid = self.nums[linked_num][0]
        return aid if aid in self.abstract else None

    def level_for_style(self, num_id: str, style_id: str | None) -> int:
        aid = self._abstract_of(num_id) if num_id in self.nums else None
        for ilvl, lv in (self.abstract.get(aid) or {}).items():
            if style_id and lv.style == style_id:
                return ilvl
        return 0

    def label(self, num_id: str | None, ilvl: int) -> str | None:
        if not num_id or num_id == "0" or num_id not in self.nums:
            return None
        aid = self._abstract_of(num_id)
        if aid is None:
            return None
        _, starts, overrides = self.nums[num_id]
        levels = {**self.abstract[aid], **overrides}
        if ilvl not in levels or ilvl not in LEVELS:
            return None
        cnt = self.counters.setdefault(aid, [None] * 10)
        if num_id not in self.used:
            self.used.add(num_id)
            for lvl in starts:
                if lvl < len(cnt):
                    cnt[lvl] = None

        def start(lvl: int) -> int:
            return starts.get(lvl, levels[lvl].start if lvl in levels else 1)

        cnt[ilvl] = start(ilvl) if cnt[ilvl] is None else cnt[ilvl] + 1
        for deeper in range(ilvl + 1, len(cnt)):
            restart = levels[deeper].restart if deeper in levels else None
            # lvlRestart n: restart after level n (1-based) or a higher one; 0: never; absent: the parent
            if restart is None or (restart > 0 and ilvl <= restart - 1):
                cnt[deeper] = None
        level = levels[ilvl]
        if level.fmt == "bullet" or not level.text:
            return None

        def sub(m: re.Match) -> str:
            k = int(m.group(1)) - 1
            lv = levels.get(k)
            n = cnt[k] if k < len(cnt) and cnt[k] is not None else start(k)
            fmt = "decimal" if level.legal and lv is not None and lv.fmt != "none" else (lv.fmt if lv else "decimal")
            return format_number(n, fmt)

        return _PLACEHOLDER.sub(sub, level.text).strip() or None


_PLACEHOLDER = re.compile(r"%([1-9])")


_CN_DIGITS = "零一二三四五六七八九"
_CN_LEGAL = "零壹贰叁肆伍陆柒捌玖"
_CN_LEGAL_TRAD = "零壹貳參肆伍陸柒捌玖"


def _cn_count(n: int, digits: str = _CN_DIGITS, units: str = "十百千", drop_leading_one: bool = True) -> str:
    if n == 0:
        return "〇"
    if n >= 10 ** 8:  # beyond 万 (亿 and up): never a list number; say it in digits rather than recurse
        return str(n)
    if n >= 10000:
        high, low = divmod(n, 10000)
        tail = "" if low == 0 else ("零" if low < 1000 else "") + _cn_count(low, digits, units, False)
        return _cn_count(high, digits, units, drop_leading_one) + "万" + tail
    out, zero = "", False
    for power in (3, 2, 1, 0):
        d = n // 10 ** power % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += digits[0]
            zero = False
        out += digits[d] + (units[power - 1] if power else "")
    if drop_leading_one and out.startswith(digits[1] + units[0]):
        out = out[1:]  # 十一, not 一十一
    return out


def _letters(n: int) -> str:
    # a, …, z, aa, …, zz, aaa: beyond 20 repeats (item 520) the label would grow by a letter every
    # 26 paragraphs, quadratic over a long list; such a list is numbered in digits instead
    return chr(ord("a") + (n - 1) % 26) * ((n - 1) // 26 + 1) if 0 < n <= 26 * 20 else str(n)


def _roman(n: int) -> str:
    if not 0 < n < 4000:
        return str(n)
    out = ""
    for value, sym in ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"),
                       (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")):
        while n >= value:
            out, n = out + sym, n - value
    return out


def _enclosed(n: int) -> str:
    if 1 <= n <= 20:
        return chr(0x2460 + n - 1)
    if 21 <= n <= 35:
        return chr(0x3251 + n - 21)
    if 36 <= n <= 50:
        return chr(0x32B1 + n - 36)
    return str(n)


def format_number(n: int, fmt: str) -> str:
    if fmt in ("chineseCounting", "chineseCountingThousand", "taiwaneseCounting", "taiwaneseCountingThousand",
               "japaneseCounting", "koreanCounting"):
        return _cn_count(n)
    if fmt in ("chineseLegalSimplified", "ideographLegalTraditional", "japaneseLegal"):
        return _cn_count(n, _CN_LEGAL if fmt == "chineseLegalSimplified" else _CN_LEGAL_TRAD, "拾佰仟", False)
    if fmt in ("ideographDigital", "taiwaneseDigital", "japaneseDigitalTenThousand"):
        return "".join("〇一二三四五六七八九"[int(c)] for c in str(n))
    if fmt == "ideographTraditional":  # the heavenly stems, 甲乙丙丁…
        return "甲乙丙丁戊己庚辛壬癸"[(n - 1) % 10] if n > 0 else str(n)
    if fmt == "ideographZodiac":
        return "子丑寅卯辰巳午未申酉戌亥"[(n - 1) % 12] if n > 0 else str(n)
    if fmt in ("decimalEnclosedCircle", "decimalEnclosedCircleChinese", "ideographEnclosedCircle"):
        return _enclosed(n)
    if fmt == "decimalEnclosedFullstop":
        return chr(0x2488 + n - 1) if 1 <= n <= 20 else f"{n}."
    if fmt == "decimalEnclosedParen":
        return chr(0x2474 + n - 1) if 1 <= n <= 20 else f"({n})"
    if fmt == "decimalZero":
        return f"{n:02d}"
    if fmt in ("decimalFullWidth", "decimalFullWidth2"):
        return "".join(chr(ord(c) + 0xFEE0) for c in str(n))
    if fmt in ("lowerLetter", "upperLetter"):
        s = _letters(n)
        return s.upper() if fmt == "upperLetter" else s
    if fmt in ("lowerRoman", "upperRoman"):
        s = _roman(n)
        return s.upper() if fmt == "upperRoman" else s
    if fmt == "none":
        return ""
    return str(n)


# --- the body walk ---------------------------------------------------------------------------------

class _Segments:
    """The lines of a paragraph (split at w:br) as they grow. Text arrives a run at a time, and
    paragraphs whose mark was deleted run on into the next: kept as lists of parts and joined once,
    because `s += run` on a list element copies the whole line every time (quadratic over a
    paragraph of a million one-character runs)."""

    __slots__ = ("done", "parts", "has_text")

    def __init__(self):
        self.done: list[str] = []  # finished lines
        self.parts: list[str] = []  # the current line
        self.has_text = False  # the current line has a non-space character

    def add(self, s: str) -> None:
        if s:
            self.parts.append(s)
            self.has_text = self.has_text or not s.isspace()

    def line_break(self) -> None:
        # a break before any text must not leave the label on an empty line
        if self.has_text:
            self.done.append("".join(self.parts))
            self.parts, self.has_text = [], False

    def extend(self, other: "_Segments") -> None:
        """Run `other` on from the end of this one: its first line continues the current line."""
        if not other.done:
            self.parts += other.parts
            self.has_text = self.has_text or other.has_text
            return
        self.parts.append(other.done[0])
        self.done.append("".join(self.parts))
        self.done += other.done[1:]
        self.parts, self.has_text = list(other.parts), other.has_text

    def lines(self) -> list[str]:
        return self.done + ["".join(self.parts)]


class _Walker:
    def __init__(self, numbering: _Numbering, styles: _Styles, page_mode: str | None,
                 chunk=None, budget: Budget | None = None):
        self.numbering = numbering
        self.styles = styles
        self.mode = page_mode
        self.page = 1 if page_mode else None
        self.blocks: list[Block] = []
        # lines of paragraphs whose mark was deleted: they run on into the next paragraph
        self.carry: _Segments | None = None
        self.carry_page: int | None = None
        self.text_page: int | None = None  # page of the current paragraph's first character
        self.tracked = False
        self.chunk = chunk or (lambda rid: ("", b""))  # altChunk id -> (content type, bytes)
        self.unread_chunks = 0
        self.started = False
        self.budget = budget or Budget()
        self.cell_depth = 0  # blocks inside table cells are joined into their row: counted as the row

    def emit(self, block: Block) -> None:
        if not self.cell_depth:
            self.budget.block()
        self.blocks.append(block)

    def container(self, el) -> None:
        for child in el:
            tag = child.tag
            if tag == P:
                self.paragraph(child)
            elif tag == TBL:
                self.flush()
                self.table(child)
            elif tag == SDT:
                if not _is_toc(child):
                    content = child.find(SDTCONTENT)
                    if content is not None:
                        self.container(content)
            elif tag in (DEL, MOVEFROM):
                self.tracked = True
            elif tag == ALTERNATE:
                choice = child.find(CHOICE)
                if choice is not None:
                    self.container(choice)
            elif tag in (INS, MOVETO, _w("customXml"), _w("smartTag")):
                self.tracked = self.tracked or tag in (INS, MOVETO)
                self.container(child)
            elif tag == _w("altChunk"):
                self.flush()
                self.alt_chunk(child.get(f"{{{R_NS}}}id"))

    def flush(self) -> None:
        if self.carry is not None:
            for text in self.carry.lines():
                if text.strip():
                    self.emit(Block(text=text, page=self.carry_page))
        self.carry = None

    def paragraph(self, p) -> None:
        ppr = p.find(PPR)
        style = _val(ppr, "pStyle") or self.styles.default_para
        kind = self.styles.kind(style)
        if kind == "toc":
            return
        if ppr is not None and self.mode == "explicit" and self.started and _on(ppr.find(_w("pageBreakBefore"))):
            self.page += 1
        self.text_page = None
        segments, boxes = _Segments(), []
        self.inline(p, segments, boxes)
        page = self.text_page if self.text_page is not None else self.page
        mark = ppr.find(RPR) if ppr is not None else None
        if mark is not None and (mark.find(DEL) is not None or mark.find(MOVEFROM) is not None):
            self.tracked = True
            if self.carry is None:
                self.carry, self.carry_page = segments, page
            else:
                self.carry.extend(segments)
            self._after_paragraph(ppr, boxes)
            return
        if self.carry is not None:
            self.carry.extend(segments)
            segments = self.carry
            page = self.carry_page if self.carry_page is not None else page
            self.carry = None
        label = self._label(ppr, style)
        if label:
            self.budget.chars(len(label))
        for i, text in enumerate(segments.lines()):
            if i == 0 and label:
                self.emit(Block(text=text, page=page, kind=kind, label=label))
            elif text.strip():
                self.emit(Block(text=text, page=page, kind=kind))
        self._after_paragraph(ppr, boxes)

    def _after_paragraph(self, ppr, boxes) -> None:
        self.started = True
        for box in boxes:
            self.container(box)
        sect = ppr.find(_w("sectPr")) if ppr is not None else None
        if sect is not None and self.mode == "explicit" and _val(sect, "type") not in ("continuous", "nextColumn"):
            self.page += 1

    def _label(self, ppr, style: str | None) -> str | None:
        num = ppr.find(_w("numPr")) if ppr is not None else None
        num_id, ilvl = (_val(num, "numId"), _val(num, "ilvl")) if num is not None else (None, None)
        s_num, s_ilvl = self.styles.num_pr(style)
        num_id = num_id or s_num
        if not num_id or num_id == "0":
            return None
        if ilvl is None:
            ilvl = s_ilvl
        level = _int(ilvl, 0) if ilvl is not None else self.numbering.level_for_style(num_id, style)
        return self.numbering.label(num_id, level)

    def inline(self, el, segments: _Segments, boxes: list) -> None:
        for child in el:
            tag = child.tag
            if tag == R:
                self.run(child, segments, boxes)
            elif tag in _SKIP_INLINE:
                if tag in (DEL, MOVEFROM):
                    self.tracked = True
            elif tag == ALTERNATE:
                choice = child.find(CHOICE)
                if choice is not None:
                    self.inline(choice, segments, boxes)
            elif tag == f"{{{M}}}t":
                self.text(child.text, segments)
            else:  # ins, moveTo, hyperlink, smartTag, fldSimple, sdt/sdtContent, customXml, oMath, bdo, dir
                if tag in (INS, MOVETO):
                    self.tracked = True
                self.inline(child, segments, boxes)

    def text(self, s: str | None, segments: _Segments) -> None:
        if s:
            if self.text_page is None:
                self.text_page = self.page
            self.budget.chars(len(s))
            segments.add(s)

    def run(self, r, segments: _Segments, boxes: list) -> None:
        rpr = r.find(RPR)
        if rpr is not None and (_on(rpr.find(_w("vanish"))) or _on(rpr.find(_w("specVanish")))):
            return
        for child in r:
            tag = child.tag
            if tag == T:
                self.text(child.text, segments)
            elif tag in (_w("tab"), _w("ptab")):
                segments.add(" ")
            elif tag in (_w("br"), _w("cr")):
                if child.get(_w("type")) == "page" and self.mode == "explicit":
                    self.page += 1
                segments.line_break()
            elif tag == _w("lastRenderedPageBreak"):
                if self.mode == "rendered":
                    self.page += 1
            elif tag == _w("noBreakHyphen"):
                self.text("-", segments)
            elif tag == _w("sym"):
                self.text(_SYMBOLS.get((child.get(_w("char")) or "").upper(), ""), segments)
            elif tag in (_w("drawing"), _w("pict"), _w("object"), ALTERNATE):
                boxes.extend(_text_boxes(child))

    def alt_chunk(self, rid: str | None) -> None:
        """HTML or plain text that some OA systems splice in as a separate part; Word renders it inline."""
        content_type, blob = self.chunk(rid)
        if "html" in content_type:
            blocks = _html_blocks(blob)
        elif content_type.startswith("text/plain"):
            from .text import decode_text

            blocks = [Block(text=ln) for ln in decode_text(blob).splitlines() if ln.strip()]
        else:  # RTF, MHT or a nested docx: would need a converter
            self.unread_chunks += 1
            return
        for block in blocks:
            block.page = self.page
            self.budget.chars(len(block.text))
            self.emit(block)

    def table(self, tbl) -> None:
        for tr in _rows(tbl):
            trpr = tr.find(_w("trPr"))
            if trpr is not None and trpr.find(DEL) is not None:
                self.tracked = True
                continue
            start = self.page
            cells = [self.cell(tc) for tc in _cells(tr)]
            if any(text.strip() for text, _ in cells):
                pages = [pg for _, pg in cells if pg is not None]
                self.emit(Block(text="｜".join(text for text, _ in cells),
                                page=min(pages) if pages else start, kind="table_row"))
            self.started = True

    def cell(self, tc) -> tuple[str, int | None]:
        tcpr = tc.find(_w("tcPr"))
        merge = tcpr.find(_w("vMerge")) if tcpr is not None else None
        if merge is not None and merge.get(VAL) != "restart":
            return "", None  # continuation of a vertically merged cell: its text is in the cell above
        outer, self.blocks = self.blocks, []
        self.cell_depth += 1
        try:
            self.container(tc)
            self.flush()
        finally:
            self.cell_depth -= 1
        inner, self.blocks = self.blocks, outer
        text = " ".join(" ".join(filter(None, (b.label, b.text.strip()))) for b in inner).strip()
        return text, (inner[0].page if inner else None)


_HTML_BLOCK = ("p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "div")


def _html_blocks(blob: bytes) -> list[Block]:
    import codecs

    import lxml.html

    from .text import decode_text

    declared = re.search(rb"""charset\s*=\s*["']?([\w.:-]+)""", blob[:4096], re.I)
    try:  # lxml would take a page without a charset for Latin-1
        codec = codecs.lookup(declared.group(1).decode("ascii")).name if declared else None
        codec = "gb18030" if codec in ("gb2312", "gbk") else codec  # pages say gb2312 and mean GBK
        html = blob.decode(codec, "replace") if codec else decode_text(blob)
        root = lxml.html.document_fromstring(re.sub(r"^\s*<\?xml[^>]*>", "", html))
    except (LookupError, DocumentError, ValueError, lxml.etree.ParserError):
        return []
    blocks = []
    for el in root.iter(*_HTML_BLOCK, "tr"):
        if next(el.iterancestors("tr", "head", "script", "style"), None) is not None:
            continue  # inside a row (read with the row) or not displayed
        if el.tag == "tr":
            cells = [" ".join(td.text_content().split()) for td in el if td.tag in ("td", "th")]
            if any(cells):
                blocks.append(Block(text="｜".join(cells), kind="table_row"))
        elif next(el.iterdescendants(*_HTML_BLOCK, "table"), None) is None:  # wrappers yield their children
            text = " ".join(el.text_content().split())
            if text:
                blocks.append(Block(text=text))
    return blocks


def _rows(tbl):
    for child in tbl:
        if child.tag == TR:
            yield child
        elif child.tag in (SDT, _w("customXml")):
            inner = child.find(SDTCONTENT) if child.tag == SDT else child
            if inner is not None:
                yield from _rows(inner)


def _cells(tr):
    for child in tr:
        if child.tag == TC:
            yield child
        elif child.tag in (SDT, _w("customXml")):
            inner = child.find(SDTCONTENT) if child.tag == SDT else child
            if inner is not None:
                yield from _cells(inner)


def _text_boxes(el) -> list:
    """w:txbxContent under a drawing, taking each mc:AlternateContent's Choice only (its Fallback is a
    VML copy of the same box)."""
    out = []
    stack = [el]
    while stack:
        node = stack.pop()
        if node.tag == TXBX:
            out.append(node)
            continue
        if node.tag == FALLBACK:
            continue
        stack.extend(reversed(list(node)))
    return out


def _is_toc(sdt) -> bool:
    gallery = sdt.find(f"{_w('sdtPr')}/{_w('docPartObj')}/{_w('docPartGallery')}")
    return gallery is not None and "table of contents" in (gallery.get(VAL) or "").lower()


def _is_toc_style(style_id: str | None, name: str) -> bool:
    # TOC entries repeat the article headings with page numbers and would duplicate the structure
    return bool(re.match(r"(?i)toc\s?\d", style_id or "") or re.match(r"(?i)toc \d", name))


def _is_heading(name: str) -> bool:
    n = name.lower()
    return n.startswith("heading") or n == "title"
