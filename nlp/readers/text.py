"""Plain text and Markdown in UTF-8 (with or without BOM), UTF-16 (with or without BOM), GB18030/GBK
and Big5.

Every pattern applied to user text here runs in linear time: Markdown's inline markup (links,
emphasis) is resolved by scanners that look each delimiter's partner up in a precomputed table,
instead of regexes whose lazy `.+?` rescans the rest of the line from every opener (a 240 KB line
of '*a ' took minutes).
"""
from __future__ import annotations

import codecs
import re

from ..errors import CorruptDocument
from ..limits import Budget, Limits
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
            if enc == "gb18030":
                text = _big5_instead(sample, text, complete) or text
            return text
    return None


# Big5 (Taiwan, Hong Kong) decodes without error as GB18030, into nonsense: both use the same byte
# ranges. Simplified Chinese read correctly is almost all in GB2312's common rows (level-1 hanzi and
# punctuation); Big5 read as GBK is not (~20%), while read as Big5 it is almost all in Big5's own
# common range. Decided on the first 64 KB.
_COMMON_GB = 0.6
_COMMON_BIG5 = 0.9


def _share(text: str, codec: str, common) -> float:
    n = hits = 0
    for ch in text:
        if ch < "\x80":
            continue
        n += 1
        try:
            code = ch.encode(codec)
        except UnicodeEncodeError:
            continue
        hits += len(code) == 2 and common((code[0] << 8) | code[1])
    return hits / n if n else 1.0


def _big5_instead(sample: bytes, as_gb: str, complete: bool) -> str | None:
    """The sample decoded as Big5 when that, and not GB18030, is what it is."""
    head = as_gb[:20_000]
    if _share(head, "gb2312", lambda c: 0xB0A1 <= c <= 0xD7FE or 0xA1A1 <= c <= 0xA3FE) >= _COMMON_GB:
        return None
    try:
        text = codecs.getincrementaldecoder("cp950")("strict").decode(sample, final=complete)
    except UnicodeDecodeError:
        return None
    if _share(text[:20_000], "cp950", lambda c: 0xA140 <= c <= 0xA3BF or 0xA440 <= c <= 0xC67E) >= _COMMON_BIG5:
        return text
    return None


def _looks_textual(text: str) -> bool:
    if not text:
        return True
    return len(_CONTROL.findall(text)) <= max(2, len(text) // 100)


def decode_text(data: bytes) -> str:
    sample = data[:64 * 1024]
    for enc, skip in candidates(sample):
        try:
            text = data[skip:].decode(enc)
        except UnicodeDecodeError:
            continue
        if _looks_textual(text[:64 * 1024]):
            if enc == "gb18030" and _big5_instead(sample, text[:64 * 1024], complete=len(data) <= len(sample)):
                try:
                    return data.decode("cp950")
                except UnicodeDecodeError:
                    pass
            return text
    raise CorruptDocument("无法识别文本编码（不是UTF-8、UTF-16、GBK/GB18030或Big5），文件可能已损坏。",
                          "Cannot determine the text encoding (not UTF-8, UTF-16, GBK/GB18030 or Big5); "
                          "the file may be damaged.")


# Every encoding read here takes at most 4 bytes a character, so a file of more than 4 bytes per
# allowed character is refused from its size alone, before it is decoded.
MAX_BYTES_PER_CHAR = 4


def read(data: bytes, kind: str = "txt", *, limits: Limits | None = None) -> RawDocument:
    budget = Budget(limits)
    limit = budget.max_characters
    if limit and len(data) > MAX_BYTES_PER_CHAR * limit:
        budget.chars(len(data) // MAX_BYTES_PER_CHAR)  # raises: at least this many characters
    text = decode_text(data)
    if limit and len(text) > limit:
        # The same count the service makes before reading (service.pipeline.text_characters).
        from ..errors import TooManyCharacters

        raise TooManyCharacters(limit, len(text))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    pages = text.rstrip().split("\f")  # pdftotext and some exporters end every page with a form feed
    blocks: list[Block] = []
    for number, page in enumerate(pages, 1):
        lines = _markdown_lines(page) if kind == "md" else _text_lines(page)
        for line, row in lines:
            budget.block()
            blocks.append(Block(text=line, page=number if len(pages) > 1 else None,
                                kind="table_row" if row else "paragraph"))
    return RawDocument(format=kind, blocks=blocks, pages=len(pages) if len(pages) > 1 else None)


def _text_lines(text: str):
    for line in text.split("\n"):
        if line.strip():
            yield line, "｜" in line  # the full-width bar is how our own exports and the Word reader join cells


# Possessive quantifiers (*+): a whitespace run between two optional parts ('\s*\|?\s*') could
# otherwise be split every possible way before the match fails, quadratic on a line of spaces.
_MD_SKIP = re.compile(r"^\s*+(?:[-*_]\s*+){3,}+$|^\s*+(?:```|~~~)")  # rules and code fences
_MD_TABLE_SEP = re.compile(r"^\s*+\|?+\s*+:?+-{2,}+:?+\s*+(?:\|\s*+:?+-{2,}+:?+\s*+)*+\|?+\s*+$")
_MD_PREFIX = re.compile(r"^\s{0,3}(?:>\s?)*(?:#{1,6}[ \t]+|[-*+][ \t]+)?")  # quote, heading, bullet
_MD_CODE = re.compile(r"`([^`]+)`")  # linear: [^`]+ stops at the next backtick, which closes or fails
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|])")


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
    if "](" in s:
        s = _links(_links(s, image=True), image=False)  # images -> alt text, then links -> their text
    if "**" in s or "__" in s:
        s = _strong(s)
    if "*" in s:
        s = _emphasis(s)
    if "`" in s:
        s = _MD_CODE.sub(r"\1", s)
    if "#" in s:
        s = _closing_hashes(s)
    if "\\" in s:
        s = _MD_ESCAPE.sub(r"\1", s)
    return s


# The scanners below give exactly what these regexes gave, left-to-right non-overlapping matches of
# re.sub, in one pass each:
#   images    !\[([^\]]*)\]\([^)]*\)          -> \1
#   links     \[([^\]]+)\]\([^)]*\)           -> \1
#   strong    (\*\*|__)(?=\S)(.+?)(?<=\S)\1     -> \2
#   emphasis  (?<![*\w])\*(?=\S)(.+?)(?<=\S)\*(?![*\w])  -> \1
#   closing   \s+#+\s*$                        -> ''
# A line is one paragraph (no newline), so '.' matches every character.


def _next_index(s: str, ok) -> list[int]:
    """nxt[i]: the smallest j >= i with ok(j), else len(s). Built backwards in one pass."""
    n = len(s)
    nxt = [n] * (n + 1)
    for j in range(n - 1, -1, -1):
        nxt[j] = j if ok(j) else nxt[j + 1]
    return nxt


def _next_char(s: str, ch: str) -> list[int]:
    return _next_index(s, lambda j: s[j] == ch)


def _links(s: str, image: bool) -> str:
    n = len(s)
    close_bracket, close_paren = _next_char(s, "]"), _next_char(s, ")")
    out, i, last = [], 0, 0
    lead = 2 if image else 1  # "![" or "["
    while i < n:
        if (s[i] == "!" if image else s[i] == "[") and (not image or s.startswith("[", i + 1)):
            j = close_bracket[i + lead]  # the first "]": neither text class can pass one
            if j < n - 1 and (image or j > i + lead) and s[j + 1] == "(":
                k = close_paren[j + 2]
                if k < n:
                    out += [s[last:i], s[i + lead:j]]
                    i = last = k + 1
                    continue
        i += 1
    out.append(s[last:])
    return "".join(out)


def _strong(s: str) -> str:
    n = len(s)
    # a closer of either kind at c: the delimiter at c, and a non-space before it
    closers = {d: _next_index(s, lambda c, d=d: s.startswith(d, c) and c > 0 and not s[c - 1].isspace())
               for d in ("**", "__")}
    out, i, last = [], 0, 0
    while i < n - 2:
        d = s[i:i + 2]
        if d in closers and not s[i + 2].isspace():
            c = closers[d][i + 3]  # at least one character between the delimiters
            if c < n:
                out += [s[last:i], s[i + 2:c]]
                i = last = c + 2
                continue
        i += 1
    out.append(s[last:])
    return "".join(out)


def _word(ch: str) -> bool:
    return ch.isalnum() or ch == "_"  # what \w matches in a str pattern


def _emphasis(s: str) -> str:
    n = len(s)
    closer = _next_index(s, lambda c: s[c] == "*" and c > 0 and not s[c - 1].isspace()
                         and (c + 1 == n or (s[c + 1] != "*" and not _word(s[c + 1]))))
    out, i, last = [], 0, 0
    while i < n - 1:
        if (s[i] == "*" and (i == 0 or (s[i - 1] != "*" and not _word(s[i - 1])))
                and not s[i + 1].isspace()):
            c = closer[i + 2]
            if c < n:
                out += [s[last:i], s[i + 1:c]]
                i = last = c + 1
                continue
        i += 1
    out.append(s[last:])
    return "".join(out)


def _closing_hashes(s: str) -> str:
    """Drop the closing hashes of '## title ##' (whitespace, hashes, whitespace at the end)."""
    end = len(s.rstrip())
    j = end
    while j > 0 and s[j - 1] == "#":
        j -= 1
    if j == end or j == 0 or not s[j - 1].isspace():
        return s
    while j > 0 and s[j - 1].isspace():
        j -= 1
    return s[:j]
