"""Plain text and Markdown in UTF-8 (with or without BOM), UTF-16 (with or without BOM) and GB18030/GBK."""
from __future__ import annotations

import codecs
import re

from ..errors import CorruptDocument
from ..model import Block, RawDocument

_BOMS = (  # UTF-32 before UTF-16: FF FE 00 00 also starts with the UTF-16-LE mark
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def candidates(sample: bytes) -> list[tuple[str, int]]:
    """(encoding, bytes to skip) to try, most plausible first."""
    for bom, enc in _BOMS:
        if sample.startswith(bom):
            return [(enc, len(bom))]
    utf16 = _utf16_without_bom(sample)
    return ([(utf16, 0)] if utf16 else []) + [("utf-8", 0), ("gb18030", 0)]


def _utf16_without_bom(sample: bytes) -> str | None:
    """NULs never occur in UTF-8 or GBK prose, but every ASCII character (newline, space, digit) in
    UTF-16 brings one as the high byte of its code unit. The byte order that explains most NULs that
    way wins; stray NULs in other text sit beside non-ASCII bytes and explain nothing."""
    nuls = sample.count(0)
    if not nuls:
        return None
    n = len(sample) - len(sample) % 2
    lo, hi = sample[0:n:2], sample[1:n:2]
    le = sum(1 for a, b in zip(lo, hi) if b == 0 and a < 0x80)
    be = sum(1 for a, b in zip(lo, hi) if a == 0 and b < 0x80)
    enc, count = ("utf-16-le", le) if le >= be else ("utf-16-be", be)
    return enc if count and count >= nuls / 2 else None


def sample_text(sample: bytes, complete: bool = False) -> str | None:
    """Decode the head of a file if it is plausibly text, else None. `complete` says the sample is the
    whole file, so a multi-byte character cut at its end is an error rather than the sample's edge."""
    for enc, skip in candidates(sample):
        try:
            text = codecs.getincrementaldecoder(enc)("strict").decode(sample[skip:], final=complete)
        except UnicodeDecodeError:
            continue
        if _looks_textual(text):
            return text
    return None


def _looks_textual(text: str) -> bool:
    if not text:
        return True
    return len(_CONTROL.findall(text)) <= max(2, len(text) // 100)


def decode_text(data: bytes) -> str:
    for enc, skip in candidates(data[:64 * 1024]):
        try:
            text = data[skip:].decode(enc)
        except UnicodeDecodeError:
            continue
        if _looks_textual(text[:64 * 1024]):
            return text
    raise CorruptDocument("无法识别文本编码（不是UTF-8、UTF-16或GBK/GB18030），文件可能已损坏。",
                          "Cannot determine the text encoding (not UTF-8, UTF-16 or GBK/GB18030); "
                          "the file may be damaged.")


def read(data: bytes, kind: str = "txt") -> RawDocument:
    text = decode_text(data).replace("\r\n", "\n").replace("\r", "\n")
    pages = text.rstrip().split("\f")  # pdftotext and some exporters end every page with a form feed
    blocks: list[Block] = []
    for number, page in enumerate(pages, 1):
        lines = _markdown_lines(page) if kind == "md" else _text_lines(page)
        for line, row in lines:
            blocks.append(Block(text=line, page=number if len(pages) > 1 else None,
                                kind="table_row" if row else "paragraph"))
    return RawDocument(format=kind, blocks=blocks, pages=len(pages) if len(pages) > 1 else None)


def _text_lines(text: str):
    for line in text.split("\n"):
        if line.strip():
            yield line, "｜" in line  # the full-width bar is how our own exports and the Word reader join cells


_MD_SKIP = re.compile(r"^\s*(?:[-*_]\s*){3,}$|^\s*(?:```|~~~)")  # rules and code fences
_MD_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_MD_PREFIX = re.compile(r"^\s{0,3}(?:>\s?)*(?:#{1,6}[ \t]+|[-*+][ \t]+)?")  # quote, heading, bullet
_MD_INLINE = [
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),      # images -> alt text
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),       # links -> their text
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![*\w])\*(?=\S)(.+?)(?<=\S)\*(?![*\w])"), r"\1"),
    (re.compile(r"`([^`]+)`"), r"\1"),
    (re.compile(r"\s+#+\s*$"), ""),                      # closing hashes of "## title ##"
    (re.compile(r"\\([\\`*_{}\[\]()#+\-.!|])"), r"\1"),
]


def _markdown_lines(text: str):
    for line in text.split("\n"):
        if not line.strip() or _MD_SKIP.match(line) or _MD_TABLE_SEP.match(line):
            continue
        stripped = line.strip()
        if stripped.startswith("|") and stripped.endswith("|") and len(stripped) > 1:
            cells = [_md_inline(c.strip()) for c in stripped[1:-1].split("|")]
            yield "｜".join(cells), True
            continue
        line = _md_inline(_MD_PREFIX.sub("", line, count=1))
        if line.strip():
            yield line, False


def _md_inline(s: str) -> str:
    for rx, repl in _MD_INLINE:
        s = rx.sub(repl, s)
    return s
