"""The hostile corpus of issue 11, generated in memory: every kind of file an attacker (or a broken
exporter) sends, with the outcome the product owes it.

Nothing here is checked in as a binary and nothing large is ever written out unless a test asks for
it: bombs are deflate streams built from one compressed chunk repeated (a full flush makes every
chunk's output identical and self-contained), zips and PDFs are written by hand so that their
headers can lie.

    from fixturegen.hostile import KINDS, by_name
    for kind in KINDS:
        data = kind.data()              # bytes (cached per process)
        kind.write(tmp_dir)             # the file on disk, under kind.disk_name
        kind.expect                     # Expect: refused with these codes / HTTP statuses, or read

`Expect` names the error codes (nlp.errors.DocumentError.code, the API's problem `code`, the batch's
errors.csv `code`) and HTTP statuses that count as the right answer. Several kinds depend on limits
being built as this corpus is written; their code sets name the codes the fix may use for "too large"
or "too complex" (`LIMIT_CODES`): adjust them here, in one place, if the fix names them otherwise.
"""
from __future__ import annotations

import functools
import io
import random
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import ROOT
from .hostile_files import raw_pdf

KB, MB, GB = 1024, 1024 * 1024, 1024 * 1024 * 1024
BASE_CONTRACT = ROOT / "fixtures" / "sample" / "base_contract.txt"
# Text of the base contract that must come back whenever a kind is expected to be read.
MARKER = "档案数据归甲方所有"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
OFD_NS = "http://www.ofdspec.org/2016"

# --- expected outcomes ------------------------------------------------------------------------------

# "Too large / too complex": nlp.errors.TooLarge ("too-large", 413) for sizes and counts, TooComplex
# ("too-complex", 422) for content that would take unbounded memory or time to parse.
LIMIT_CODES = frozenset({"too-large", "too-complex"})
CHAR_LIMIT_CODES = frozenset({"too-many-characters", "too-large"})
OCR_LIMIT_CODES = frozenset({"too-many-ocr-pages", "too-large"})
# A lying zip header is damage ("corrupt") or a limit hit while inflating.
BOMB_CODES = frozenset({"corrupt"}) | LIMIT_CODES


@dataclass(frozen=True)
class Expect:
    """What the product must do with a kind.

    refused: codes (any one of) and HTTP statuses (any one of) the refusal may carry.
    read: the file may (or, with no codes, must) be read; then `contains` must be in the text and
    none of `absent`.
    """

    codes: frozenset[str] = frozenset()
    http: frozenset[int] = frozenset()
    read: bool = False
    contains: str | None = None
    absent: tuple[str, ...] = ()
    note: str = ""

    @property
    def may_refuse(self) -> bool:
        return bool(self.codes)

    @property
    def must_read(self) -> bool:
        return self.read and not self.codes

    def describe(self) -> str:
        parts = []
        if self.read:
            parts.append(f"read (text holds {self.contains!r})" if self.contains else "read")
        if self.codes:
            parts.append(f"refused {sorted(self.codes)} HTTP {sorted(self.http)}")
        return " or ".join(parts)


def refused(codes, http) -> Expect:
    return Expect(codes=frozenset(codes), http=frozenset(http))


def reads(contains: str | None = MARKER, absent: tuple[str, ...] = ()) -> Expect:
    return Expect(read=True, contains=contains, absent=absent)


def reads_or_refused(codes, http, contains: str | None = MARKER, absent: tuple[str, ...] = ()) -> Expect:
    return Expect(codes=frozenset(codes), http=frozenset(http), read=True, contains=contains, absent=absent)


@dataclass(frozen=True)
class Kind:
    name: str
    filename: str  # as uploaded (may itself be hostile)
    build: Callable[[], bytes] = field(repr=False, compare=False)
    expect: Expect
    why: str
    disk_name: str | None = None  # name on disk for `check`/`batch` when `filename` cannot be one
    tags: frozenset[str] = frozenset()  # "heavy" (costly when mishandled), "name", "zip", "xml", "pdf", "text"
    token: str | None = None  # printable part of a hostile name, to find it once the product cleans it

    def data(self) -> bytes:
        return _cached(self.name, self.build)

    @property
    def file_name(self) -> str:
        return self.disk_name or self.filename

    def write(self, directory: Path) -> Path:
        path = Path(directory) / self.file_name
        path.write_bytes(self.data())
        return path


_CACHE: dict[str, bytes] = {}


def _cached(name: str, build: Callable[[], bytes]) -> bytes:
    if name not in _CACHE:
        _CACHE[name] = build()
    return _CACHE[name]


# --- zips written by hand, so that their headers can lie ---------------------------------------------

@dataclass
class Member:
    name: str
    payload: bytes  # what is stored: raw deflate data for method 8, the bytes themselves for method 0
    crc: int
    size: int  # declared uncompressed size
    method: int = 8
    csize: int | None = None  # declared compressed size (None: the payload's length)


def stored(name: str, data: bytes) -> Member:
    return Member(name, data, zlib.crc32(data), len(data), method=0)


def deflated(name: str, data: bytes, level: int = 6) -> Member:
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    return Member(name, c.compress(data) + c.flush(), zlib.crc32(data), len(data))


def write_zip(members: list[Member]) -> bytes:
    """A zip with exactly the sizes and CRCs the members declare (local headers and directory alike)."""
    out = bytearray()
    central = bytearray()
    for m in members:
        name = m.name.encode("utf-8")
        flags = 0x800 if any(b > 0x7F for b in name) else 0
        csize = len(m.payload) if m.csize is None else m.csize
        offset = len(out)
        out += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", 20, flags, m.method, 0, 0x21, m.crc & 0xFFFFFFFF,
                           csize, m.size, len(name), 0) + name + m.payload
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", 20, 20, flags, m.method, 0, 0x21,
                               m.crc & 0xFFFFFFFF, csize, m.size, len(name), 0, 0, 0, 0, 0, offset) + name
    cd_offset = len(out)
    out += central
    n = len(members)
    out += struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, min(n, 0xFFFF), min(n, 0xFFFF), len(central),
                       cd_offset, 0)
    return bytes(out)


def _gf2_times(mat: list[int], vec: int) -> int:
    out, i = 0, 0
    while vec:
        if vec & 1:
            out ^= mat[i]
        vec >>= 1
        i += 1
    return out


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """CRC-32 of A+B from crc(A), crc(B) and len(B) (zlib's crc32_combine), so that the CRC of
    gigabytes of repeated data costs microseconds."""
    if len2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]
    even = [_gf2_times(odd, odd[n]) for n in range(32)]
    odd = [_gf2_times(even, even[n]) for n in range(32)]
    while True:
        even = [_gf2_times(odd, odd[n]) for n in range(32)]
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = [_gf2_times(even, even[n]) for n in range(32)]
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


def adler32_combine(a1: int, a2: int, len2: int) -> int:
    base = 65521
    rem = len2 % base
    s1 = a1 & 0xFFFF
    s2 = (rem * s1) % base
    s1 += (a2 & 0xFFFF) + base - 1
    s2 += ((a1 >> 16) & 0xFFFF) + ((a2 >> 16) & 0xFFFF) + base - rem
    s1 = s1 - base if s1 >= base else s1
    s1 = s1 - base if s1 >= base else s1
    s2 = s2 - 2 * base if s2 >= 2 * base else s2
    s2 = s2 - base if s2 >= base else s2
    return s1 | (s2 << 16)


def _repeat_checksum(chunk: bytes, count: int, start: int, fn, combine) -> int:
    """Checksum of (data so far, whose checksum is `start`) + chunk * count, by doubling."""
    piece, size, out = fn(chunk), len(chunk), start
    while count:
        if count & 1:
            out = combine(out, piece, size)
        piece, size = combine(piece, piece, size), size * 2
        count >>= 1
    return out


@functools.lru_cache(maxsize=None)
def _repeated_deflate(chunk: bytes, count: int, level: int = 9, zlib_wrapper: bool = False) -> bytes:
    """Deflate data for `chunk` * `count`, built from one compressed chunk: after a full flush the
    compressor starts afresh, so every chunk compresses to the same, byte-aligned, bytes."""
    c = zlib.compressobj(level, zlib.DEFLATED, -15)
    one = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    assert one == again, "deflate output of a full-flushed chunk must repeat"
    body = one * count + c.flush(zlib.Z_FINISH)
    if not zlib_wrapper:
        return body
    adler = _repeat_checksum(chunk, count, 1, zlib.adler32, adler32_combine)
    return b"\x78\xda" + body + struct.pack(">I", adler)


def _segments(parts: list) -> tuple[bytes, int, int]:
    """Raw deflate of a concatenation of plain parts (bytes) and repeats ((chunk, count)):
    (data, crc32, size)."""
    out, crc, size = bytearray(), 0, 0
    for part in parts:
        if isinstance(part, tuple):
            chunk, count = part
            out += _repeated_deflate(chunk, count)[:-2]  # without its empty final block
            crc = _repeat_checksum(chunk, count, crc, zlib.crc32, crc32_combine)
            size += len(chunk) * count
        else:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            out += c.compress(part) + c.flush(zlib.Z_FULL_FLUSH)
            crc = zlib.crc32(part, crc)
            size += len(part)
    out += b"\x03\x00"  # an empty final block closes the stream
    return bytes(out), crc, size


# --- Word -----------------------------------------------------------------------------------------

CT_DOCX = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
           '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
           '<Default Extension="xml" ContentType="application/xml"/>'
           '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
           'wordprocessingml.document.main+xml"/>'
           '<Override PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-officedocument.'
           'wordprocessingml.numbering+xml"/></Types>').encode()
RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        'officeDocument" Target="word/document.xml"/></Relationships>').encode()
DOC_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId9" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'numbering" Target="numbering.xml"/></Relationships>').encode()


def _xml_text(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def contract_lines() -> list[str]:
    return [ln.strip() for ln in BASE_CONTRACT.read_text(encoding="utf-8").splitlines() if ln.strip()]


def _paragraphs(lines: list[str], num_id: str | None = None) -> str:
    num = f'<w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="{num_id}"/></w:numPr></w:pPr>' if num_id else ""
    return "".join(f"<w:p>{num}<w:r><w:t>{_xml_text(t)}</w:t></w:r></w:p>" for t in lines)


def document_xml(body: str, doctype: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{doctype}'
            f'<w:document xmlns:w="{W_NS}"><w:body>{body}</w:body></w:document>').encode()


def docx_from_parts(document: bytes, numbering: bytes | None = None, extra: list[Member] = ()) -> bytes:
    members = [deflated("[Content_Types].xml", CT_DOCX), deflated("_rels/.rels", RELS),
               deflated("word/document.xml", document)]
    if numbering is not None:
        members += [deflated("word/_rels/document.xml.rels", DOC_RELS), deflated("word/numbering.xml", numbering)]
    return write_zip(members + list(extra))


def plain_docx(lines: list[str] | None = None) -> bytes:
    return docx_from_parts(document_xml(_paragraphs(lines or contract_lines())))


def _numbering_xml(start: str, fmt: str, text: str = "%1、") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:numbering xmlns:w="{W_NS}">'
            f'<w:abstractNum w:abstractNumId="7"><w:lvl w:ilvl="0"><w:start w:val="{start}"/>'
            f'<w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/></w:lvl></w:abstractNum>'
            f'<w:num w:numId="3"><w:abstractNumId w:val="7"/></w:num></w:numbering>').encode()


def numbering_docx(start: str, fmt: str) -> bytes:
    lines = contract_lines()
    body = _paragraphs(lines[:8]) + _paragraphs(lines[8:14], num_id="3") + _paragraphs(lines[14:])
    return docx_from_parts(document_xml(body), _numbering_xml(start, fmt))


def _bomb_docx(declared: int | None, member: str = "word/document.xml", size: int = 2 * GB) -> bytes:
    """A .docx whose `member` inflates to `size` bytes (XML with `size` spaces inside the body).
    declared=None: the headers tell the truth; else they declare `declared` bytes (and the CRC of
    what those first bytes are), so only a reader that trusts the directory is fooled."""
    chunk = b" " * MB
    if member == "word/document.xml":
        head = document_xml("<w:p><w:r><w:t>第一条 定义</w:t></w:r></w:p>").split(b"<w:body>")[0] + b"<w:body>"
        tail = b"</w:body></w:document>"
    else:  # [Content_Types].xml: the type sniffer reads it first
        head, tail = CT_DOCX[:-len(b"</Types>")], b"</Types>"
    data, crc, total = _segments([head, (chunk, size // MB), tail])
    if declared is not None:
        first = (head + chunk)[:declared]
        bomb = Member(member, data, zlib.crc32(first), declared)
    else:
        bomb = Member(member, data, crc, total)
    others = {"[Content_Types].xml": deflated("[Content_Types].xml", CT_DOCX),
              "_rels/.rels": deflated("_rels/.rels", RELS),
              "word/document.xml": deflated("word/document.xml", document_xml(_paragraphs(contract_lines()[:6])))}
    others[member] = bomb
    return write_zip(list(others.values()))


def _huge_xml_docx(target: int = 190 * MB) -> bytes:
    """190 MB of ordinary-looking XML (numbered paragraphs) in a ~6 MB .docx: a compression ratio
    (~33:1) and a total under every declared-size check, but hundreds of MB once parsed."""
    rnd = random.Random(11)
    paras = []
    size = 0
    while size < MB:
        digits = "".join(rnd.choice("0123456789") for _ in range(8))
        p = (f'<w:p><w:pPr><w:pStyle w:val="BodyText"/></w:pPr><w:r><w:rPr><w:rFonts w:ascii="SimSun"/>'
             f'</w:rPr><w:t xml:space="preserve">乙方应按约定提供服务，编号{digits}。</w:t></w:r></w:p>')
        paras.append(p)
        size += len(p.encode())
    chunk = "".join(paras).encode()
    head = document_xml("").split(b"<w:body>")[0] + b"<w:body>"
    data, crc, total = _segments([head, (chunk, target // len(chunk)), b"</w:body></w:document>"])
    return write_zip([deflated("[Content_Types].xml", CT_DOCX), deflated("_rels/.rels", RELS),
                      Member("word/document.xml", data, crc, total)])


BILLION_LAUGHS = ('<!DOCTYPE w:document [<!ENTITY lol "lol">'
                  + "".join(f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
                            for i in range(1, 10)) + "]>")
XXE = '<!DOCTYPE w:document [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


def _entity_docx(doctype: str, ref: str) -> bytes:
    lines = contract_lines()
    body = _paragraphs(lines[:10]) + f"<w:p><w:r><w:t>附注：{ref}</w:t></w:r></w:p>" + _paragraphs(lines[10:])
    return docx_from_parts(document_xml(body, doctype))


def _traversal_docx() -> bytes:
    return write_zip([deflated("[Content_Types].xml", CT_DOCX), deflated("_rels/.rels", RELS),
                      deflated("word/document.xml", document_xml(_paragraphs(contract_lines()))),
                      stored("../../../../../../tmp/clausecheck-pwned.txt", b"pwned"),
                      stored("/etc/clausecheck-pwned", b"pwned"),
                      stored("word/../../evil.xml", b"<x/>"),
                      stored("C:\\Windows\\evil.txt", b"pwned")])


def _declares_too_much() -> bytes:
    from .wordlike import _lying_zip

    return _lying_zip(30, 10 * MB)


def _many_members_docx(n: int = 100_000) -> bytes:
    members = [deflated("[Content_Types].xml", CT_DOCX), deflated("_rels/.rels", RELS),
               deflated("word/document.xml", document_xml(_paragraphs(contract_lines())))]
    members += [stored(f"m/{i:05d}", b"") for i in range(n)]
    return write_zip(members)


def _truncated_docx() -> bytes:
    good = _wordlike_docx()
    return good[: len(good) // 2]


@functools.lru_cache(maxsize=1)
def _wordlike_docx() -> bytes:
    """The base contract as Word saves it (tests/fixturegen/wordlike.py), for the kinds built from a real one."""
    import tempfile

    from .wordlike import contract_docx

    with tempfile.TemporaryDirectory(prefix="clausecheck-hostile-") as tmp:
        return contract_docx(Path(tmp) / "contract.docx").read_bytes()


def _encrypted_docx() -> bytes:
    from .wordlike import _encrypted

    data = _encrypted(_wordlike_docx())
    if data is None:  # msoffcrypto-tool missing: an OLE file with the encrypted package's stream names
        raise RuntimeError("msoffcrypto-tool is needed for the encrypted .docx kind")
    return data


def _xlsx_as_docx() -> bytes:
    ct = CT_DOCX.replace(b"wordprocessingml.document.main+xml", b"spreadsheetml.sheet.main+xml")
    return write_zip([deflated("[Content_Types].xml", ct), deflated("xl/workbook.xml", b"<workbook/>")])


def _ole_garbage() -> bytes:
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + random.Random(7).randbytes(8 * KB)


# --- OFD ------------------------------------------------------------------------------------------

def _ofd_parts(content: bytes | None = None, doc_root: str = "Doc_0/Document.xml", doctype: str = "") -> dict[str, bytes]:
    lines = contract_lines()[:12]
    objs = "".join(f'<ofd:TextObject ID="{10 + i}" Boundary="10 {10 + 8 * i} 180 8" Font="3" Size="4.5">'
                   f'<ofd:TextCode X="0" Y="4.5">{_xml_text(t)}</ofd:TextCode></ofd:TextObject>'
                   for i, t in enumerate(lines))
    content = content if content is not None else (
        f'<?xml version="1.0" encoding="UTF-8"?>{doctype}<ofd:Page xmlns:ofd="{OFD_NS}"><ofd:Content>'
        f'<ofd:Layer ID="9">{objs}</ofd:Layer></ofd:Content></ofd:Page>').encode()
    return {
        "OFD.xml": (f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{OFD_NS}" Version="1.0" '
                    f'DocType="OFD"><ofd:DocBody><ofd:DocInfo><ofd:DocID>0C5E</ofd:DocID></ofd:DocInfo>'
                    f"<ofd:DocRoot>{doc_root}</ofd:DocRoot></ofd:DocBody></ofd:OFD>").encode(),
        "Doc_0/Document.xml": (f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{OFD_NS}">'
                               f"<ofd:CommonData><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox>"
                               f'</ofd:PageArea></ofd:CommonData><ofd:Pages><ofd:Page ID="1" '
                               f'BaseLoc="Pages/Page_0/Content.xml"/></ofd:Pages></ofd:Document>').encode(),
        "Doc_0/Pages/Page_0/Content.xml": content,
    }


def plain_ofd() -> bytes:
    return write_zip([deflated(n, d) for n, d in _ofd_parts().items()])


def _ofd_bomb_lying() -> bytes:
    head = f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{OFD_NS}"><ofd:Content>'.encode()
    data, _, _ = _segments([head, (b" " * MB, 2048), b"</ofd:Content></ofd:Page>"])
    parts = _ofd_parts()
    members = [deflated(n, d) for n, d in parts.items() if n != "Doc_0/Pages/Page_0/Content.xml"]
    members.append(Member("Doc_0/Pages/Page_0/Content.xml", data, zlib.crc32((head + b" " * 900)[:900]), 900))
    return write_zip(members)


def _ofd_entities(doctype: str, ref: str) -> bytes:
    lines = contract_lines()[:12]
    objs = "".join(f'<ofd:TextObject ID="{10 + i}" Boundary="10 {10 + 8 * i} 180 8" Font="3" Size="4.5">'
                   f'<ofd:TextCode X="0" Y="4.5">{_xml_text(t)}</ofd:TextCode></ofd:TextObject>'
                   for i, t in enumerate(lines))
    objs += (f'<ofd:TextObject ID="99" Boundary="10 200 180 8" Font="3" Size="4.5"><ofd:TextCode X="0" Y="4.5">'
             f"{ref}</ofd:TextCode></ofd:TextObject>")
    content = (f'<?xml version="1.0" encoding="UTF-8"?>{doctype.replace("w:document", "ofd:Page")}'
               f'<ofd:Page xmlns:ofd="{OFD_NS}"><ofd:Content><ofd:Layer ID="9">{objs}</ofd:Layer></ofd:Content>'
               f"</ofd:Page>").encode()
    return write_zip([deflated(n, d) for n, d in _ofd_parts(content).items()])


def _ofd_traversal() -> bytes:
    parts = _ofd_parts(doc_root="../../../../../etc/passwd")
    return write_zip([deflated(n, d) for n, d in parts.items()])


def _truncated_ofd() -> bytes:
    data = plain_ofd()
    return data[: len(data) // 2]


# --- PDF ------------------------------------------------------------------------------------------

write_pdf = raw_pdf  # one PDF writer for both hostile corpora (hostile_files builds the reader-level cases)


def pdf_stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s>>\nstream\n" % (len(data), extra) + data + b"\nendstream"


_IMAGE = pdf_stream(b"\xff", b"/Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray "
                             b"/BitsPerComponent 8 ")


def _image_pages(pages: int, box: bytes = b"[0 0 595 842]") -> bytes:
    """`pages` pages, each a full-page (blank, 1x1 pixel) image: a scan with nothing to read."""
    # 1 catalog, 2 pages, 3 content, 4 image, 5.. the pages
    w, h = (float(v) for v in box.strip(b"[]").split()[2:4])
    content = pdf_stream(b"q %g 0 0 %g 0 0 cm /Im0 Do Q" % (w, h))
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(pages))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
            content, _IMAGE]
    objs += [b"<< /Type /Page /Parent 2 0 R /MediaBox %s /Contents 3 0 R /Resources << /XObject << /Im0 4 0 R >> >> >>"
             % box] * pages
    return write_pdf(objs)


def _declares_100k_pages(n: int = 100_000) -> bytes:
    kids = b" ".join([b"3 0 R"] * n)
    return write_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, n),
                      b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
                      b"/Resources << /Font << /F1 5 0 R >> >> >>",
                      pdf_stream(b"BT /F1 12 Tf 72 720 Td (Contract) Tj ET"),
                      b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"])


def _reference_loop() -> bytes:
    return write_pdf([
        b"<< /Type /Catalog /Pages 2 0 R /Outlines 7 0 R >>",
        b"<< /Type /Pages /Kids [2 0 R 3 0 R 2 0 R] /Count 3 /Parent 2 0 R >>",
        b"<< /Type /Page /Parent 3 0 R /MediaBox 8 0 R /Contents 4 0 R /Resources 3 0 R >>",
        b"<< /Length 5 0 R >>\nstream\nBT /F1 12 Tf 72 720 Td (loop) Tj ET\nendstream",
        b"6 0 R",
        b"5 0 R",
        b"<< /First 7 0 R /Last 7 0 R /Next 7 0 R /Parent 7 0 R /Count 1 >>",
        b"8 0 R",
    ])


def _huge_mediabox() -> bytes:
    return _image_pages(1, b"[0 0 14400000 14400000]")


def _flate_bomb_pdf(size: int = 2 * GB) -> bytes:
    """One page whose content stream is ~2 MB of deflate that inflates to `size` bytes of whitespace."""
    bomb = _repeated_deflate(b" " * MB, size // MB, zlib_wrapper=True)
    return write_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                      b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
                      b"/Resources << /Font << /F1 5 0 R >> >> >>",
                      pdf_stream(bomb, b"/Filter /FlateDecode "),
                      b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"])


def _private_use_pdf(pages: int = 2) -> bytes:
    """A text layer that extracts as private-use characters (a font with no usable Unicode mapping),
    drawn invisibly (render mode 3) so that OCR has nothing to find either."""
    cmap = (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /PUA def "
            b"1 begincodespacerange <00> <FF> endcodespacerange 1 beginbfrange <20> <7E> <E000> endbfrange "
            b"endcmap CMapName currentdict /CMap defineresource pop end end")
    text = b"".join(b"BT 3 Tr /F1 14 Tf 60 %d Td (ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnop) Tj ET\n" % (780 - 24 * i)
                    for i in range(28))
    kids = b" ".join(b"%d 0 R" % (6 + i) for i in range(pages))
    objs = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
            pdf_stream(text), pdf_stream(cmap),
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 4 0 R >>"]
    objs += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R "
             b"/Resources << /Font << /F1 5 0 R >> >> >>"] * pages
    return write_pdf(objs)


@functools.lru_cache(maxsize=1)
def good_pdf() -> bytes:
    """The base contract as a text PDF (reportlab with an embedded CJK font)."""
    import tempfile

    from .pdflike import make_text_pdf

    with tempfile.TemporaryDirectory(prefix="clausecheck-hostile-") as tmp:
        return make_text_pdf(Path(tmp) / "contract.pdf").read_bytes()


def _encrypted_pdf(user: str) -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(good_pdf())))
    writer.encrypt(user_password=user, owner_password="owner-secret", algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _truncated_pdf() -> bytes:
    data = good_pdf()
    return data[: int(len(data) * 0.6)]


# --- text -----------------------------------------------------------------------------------------

def contract_text() -> str:
    return BASE_CONTRACT.read_text(encoding="utf-8")


def _over_char_limit(chars: int = 1_200_000) -> bytes:
    text = contract_text()
    return (text * (chars // len(text) + 1)).encode("utf-8")


def _markdown_emphasis(width: int = 240 * KB) -> bytes:
    line = "*a " * (width // 3)
    return f"# 云服务合同\n\n{line}\n\n## 第一条\n\n{contract_text()}\n".encode("utf-8")


def _huge_cn_deadline() -> bytes:
    """An incident-report duty whose deadline is 4,200 Chinese nines: cn2an reads it as an int that
    float() cannot hold (OverflowError in the engine's deadline check)."""
    article = "第七条 安全事件\n乙方发现安全事件后，应在" + "九" * 4200 + "小时内向甲方报告。\n"
    text = contract_text().replace("第三章 终止", article + "第三章 终止")
    assert "九" * 4200 in text
    return text.encode("utf-8")


def _big5() -> bytes:
    from opencc import OpenCC

    return OpenCC("s2t").convert(contract_text()).encode("big5", errors="replace")


def _random(n: int = 64 * KB, seed: int = 20241111) -> bytes:
    return random.Random(seed).randbytes(n)


def _png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))


def _contract_bytes() -> bytes:
    return BASE_CONTRACT.read_bytes()


# --- the corpus -----------------------------------------------------------------------------------

CORRUPT = ("corrupt", "unreadable")
# A DTD has no place in OOXML or OFD: refusing it as damaged or as too complex are both clear.
ENTITY_CODES = frozenset(CORRUPT) | LIMIT_CODES
UNSUPPORTED = refused({"unsupported-type"}, {415})


def _kinds() -> list[Kind]:
    K = Kind
    bomb = refused(BOMB_CODES, {400, 413, 422})
    limit = refused(LIMIT_CODES | CHAR_LIMIT_CODES, {413, 422})
    no_secret = ("root:", "lollollol")
    return [
        # zips: bombs, counts, lying headers, traversal
        K("zip-bomb-honest", "honest-bomb.docx", lambda: _bomb_docx(None), bomb,
          "document.xml declares and inflates to 2 GB (ratio ~1000:1)", tags=frozenset({"zip"})),
        K("zip-bomb-lying", "lying-bomb.docx", lambda: _bomb_docx(900), bomb,
          "document.xml declares 900 bytes, inflates to 2 GB", tags=frozenset({"zip", "heavy"})),
        K("zip-bomb-lying-content-types", "lying-ct-bomb.docx", lambda: _bomb_docx(900, "[Content_Types].xml"), bomb,
          "[Content_Types].xml (read by the type sniffer) declares 900 bytes, inflates to 2 GB",
          tags=frozenset({"zip", "heavy"})),
        K("zip-bomb-lying-ofd", "lying-bomb.ofd", _ofd_bomb_lying, bomb,
          "an OFD page declares 900 bytes, inflates to 2 GB", tags=frozenset({"zip", "heavy"})),
        K("zip-declares-too-much", "declares-too-much.docx",
          _declares_too_much,
          refused(BOMB_CODES, {400, 413, 422}), "30 one-byte members each declaring 10 MB", tags=frozenset({"zip"})),
        K("zip-100k-members", "many-members.docx", _many_members_docx, refused(LIMIT_CODES, {413, 422}),
          "a .docx with 100,000 zip members", tags=frozenset({"zip"})),
        K("docx-190mb-xml", "huge-xml.docx", _huge_xml_docx, limit,
          "190 MB of XML in a ~6 MB .docx, under the ratio and total checks", tags=frozenset({"zip", "heavy"})),
        K("docx-path-traversal", "traversal.docx", _traversal_docx, reads_or_refused(CORRUPT, {400}),
          "members named ../../tmp/x, /etc/x, C:\\x beside a valid document", tags=frozenset({"zip"})),
        K("ofd-path-traversal", "traversal.ofd", _ofd_traversal, refused(CORRUPT, {400}),
          "an OFD whose DocRoot is ../../../../../etc/passwd", tags=frozenset({"zip"})),
        # XML
        K("docx-billion-laughs", "laughs.docx", lambda: _entity_docx(BILLION_LAUGHS, "&lol9;"),
          reads_or_refused(ENTITY_CODES, {400, 413, 422}, absent=no_secret), "an entity expanding to 10^9 'lol's in document.xml",
          tags=frozenset({"xml"})),
        K("docx-external-entity", "xxe.docx", lambda: _entity_docx(XXE, "&xxe;"),
          reads_or_refused(ENTITY_CODES, {400, 413, 422}, absent=no_secret), "an external entity file:///etc/passwd in document.xml",
          tags=frozenset({"xml"})),
        K("ofd-billion-laughs", "laughs.ofd", lambda: _ofd_entities(BILLION_LAUGHS, "&lol9;"),
          reads_or_refused(ENTITY_CODES, {400, 413, 422}, contains="海棠云数科技有限公司", absent=no_secret),
          "billion laughs in an OFD page", tags=frozenset({"xml"})),
        K("ofd-external-entity", "xxe.ofd", lambda: _ofd_entities(XXE, "&xxe;"),
          reads_or_refused(ENTITY_CODES, {400, 413, 422}, contains="海棠云数科技有限公司", absent=no_secret),
          "file:///etc/passwd as an external entity in an OFD page", tags=frozenset({"xml"})),
        K("xml-external-entity-txt", "xxe.txt",
          lambda: (f'<?xml version="1.0"?>{XXE.replace("w:document", "r")}<r>&xxe;</r>').encode(), UNSUPPORTED,
          "an XML file with an external entity, named .txt", tags=frozenset({"xml"})),
        # Word numbering
        K("docx-numbering-huge-label", "huge-label.docx", lambda: numbering_docx("5000000000", "lowerLetter"),
          reads_or_refused(LIMIT_CODES | {"corrupt"}, {400, 413, 422}),
          "a lowerLetter list starting at 5,000,000,000: a 192-million-letter label", tags=frozenset({"heavy"})),
        K("docx-numbering-4200-digits", "cn-4200.docx", lambda: numbering_docx("9" * 4200, "chineseCounting"),
          reads_or_refused(LIMIT_CODES | {"corrupt"}, {400, 413, 422}),
          "a chineseCounting list starting at a 4,200-digit number (RecursionError today)"),
        # PDF
        K("pdf-flate-bomb", "flate-bomb.pdf", _flate_bomb_pdf, refused(LIMIT_CODES | {"corrupt"}, {400, 413, 422}),
          "a 2 MB PDF whose content stream inflates to 2 GB", tags=frozenset({"pdf", "heavy"})),
        K("pdf-reference-loop", "loop.pdf", _reference_loop, refused({"corrupt", "empty"}, {400}),
          "page tree, /Length, /MediaBox and outlines referring to themselves", tags=frozenset({"pdf"})),
        K("pdf-100k-pages", "100k-pages.pdf", _declares_100k_pages, refused({"too-large", "too-many-pages"}, {413}),
          "a page tree of 100,000 pages (one page object referenced 100,000 times)", tags=frozenset({"pdf"})),
        K("pdf-huge-mediabox", "huge-mediabox.pdf", _huge_mediabox,
          refused({"empty", "needs-ocr"} | LIMIT_CODES, {400, 413, 422}),
          "a 14,400,000 pt square page holding only an image (OCR renders it)", tags=frozenset({"pdf"})),
        K("pdf-image-only-300-pages", "scan-300.pdf", lambda: _image_pages(300), refused(OCR_LIMIT_CODES, {413, 422}),
          "300 image-only pages: over the OCR page limit (200), must be refused at once",
          tags=frozenset({"pdf", "heavy"})),
        K("pdf-encrypted-user", "encrypted-user.pdf", lambda: _encrypted_pdf("open-sesame"),
          refused({"encrypted"}, {400}), "AES-128 with a user (open) password", tags=frozenset({"pdf"})),
        K("pdf-encrypted-owner-only", "encrypted-owner.pdf", lambda: _encrypted_pdf(""), reads("海棠云数科技有限公司"),
          "AES-128 with an owner password only: opens without one", tags=frozenset({"pdf"})),
        K("pdf-truncated", "truncated.pdf", _truncated_pdf,
          reads_or_refused({"corrupt", "empty"}, {400}, contains="海棠市档案馆"),
          "the first 60 % of a text PDF", tags=frozenset({"pdf"})),
        K("pdf-private-use-text", "private-use.pdf", _private_use_pdf, refused({"empty", "needs-ocr"}, {400, 422}),
          "a text layer of private-use characters, drawn invisibly", tags=frozenset({"pdf"})),
        K("pdf-random-body", "random-body.pdf", lambda: b"%PDF-1.7\n" + _random(32 * KB, 5),
          refused(CORRUPT, {400}), "a PDF header followed by random bytes", tags=frozenset({"pdf"})),
        # other formats and broken files
        K("docx-truncated", "truncated.docx", _truncated_docx, refused(CORRUPT, {400}), "half of a real .docx"),
        K("ofd-truncated", "truncated.ofd", _truncated_ofd, refused(CORRUPT, {400}), "half of an OFD"),
        K("docx-encrypted", "encrypted.docx", _encrypted_docx, refused({"encrypted"}, {400}),
          "a password-protected .docx (OLE EncryptedPackage)"),
        K("xlsx-named-docx", "workbook.docx", _xlsx_as_docx, UNSUPPORTED, "an Excel package named .docx"),
        K("ole-garbage-doc", "garbage.doc", _ole_garbage, refused({"unsupported-type", "corrupt"}, {400, 415}),
          "an OLE signature followed by random bytes"),
        K("png-named-pdf", "image.pdf", _png, UNSUPPORTED, "a PNG image named .pdf"),
        K("html-page", "page.html",
          lambda: b"<!DOCTYPE html><html><body><script>alert(1)</script>" + contract_text().encode() + b"</body></html>",
          UNSUPPORTED, "a web page with a script"),
        K("random-bytes", "random.docx", _random, UNSUPPORTED, "64 KB of random bytes named .docx"),
        K("zero-bytes", "empty.docx", lambda: b"", refused({"empty"}, {400}), "a 0-byte upload"),
        K("whitespace-only", "blank.txt", lambda: b"  \r\n\t\n \xe3\x80\x80\n", refused({"empty"}, {400}),
          "only spaces and newlines (and an ideographic space)"),
        # text and encodings
        K("txt-gbk", "gbk.txt", lambda: contract_text().encode("gbk"), reads(), "GBK without any label",
          tags=frozenset({"text"})),
        K("txt-utf16le-nobom", "utf16le.txt", lambda: contract_text().encode("utf-16-le"), reads(),
          "UTF-16-LE without a BOM", tags=frozenset({"text"})),
        K("txt-utf16be-nobom", "utf16be.txt", lambda: contract_text().encode("utf-16-be"), reads(),
          "UTF-16-BE without a BOM", tags=frozenset({"text"})),
        K("txt-big5", "big5.txt", _big5, reads_or_refused({"corrupt", "unreadable", "unsupported-encoding"}, {400, 415}),
          "Big5 (traditional) without a label: read right, or refused, never reviewed as mojibake",
          tags=frozenset({"text"})),
        K("txt-over-char-limit", "long.txt", _over_char_limit, refused(CHAR_LIMIT_CODES, {413}),
          "1.2 million characters (limit 1,000,000), 3.5 MB", tags=frozenset({"text", "heavy"})),
        K("md-emphasis-240kb", "emphasis.md", _markdown_emphasis,
          reads_or_refused(LIMIT_CODES, {413, 422}), "a 240 KB Markdown line of '*a ' (quadratic emphasis regex)",
          tags=frozenset({"text", "heavy"})),
        K("txt-4200-digit-deadline", "cn-deadline.txt", _huge_cn_deadline, reads(),
          "a deadline of 4,200 Chinese digits (九九九…小时内): cn2an gives an int float() cannot hold",
          tags=frozenset({"text"})),
        # hostile file names around a good contract
        K("name-ansi-escape", "\x1b[31m\x1b]0;pwned\x07合同-ansi\x1b[0m.txt", _contract_bytes, reads(),
          "ANSI colour and window-title escapes in the name", tags=frozenset({"name"}), token="合同-ansi"),
        K("name-control-chars", "合同-ctrl\x01\x08\x7f\x9b.txt", _contract_bytes, reads(),
          "C0/C1 control characters in the name", tags=frozenset({"name"}), token="合同-ctrl"),
        K("name-dot-dot-slash", "../../../../etc/passwd.txt", _contract_bytes, reads(),
          "a path climbing out of any upload directory", disk_name="dotdot-passwd.txt", tags=frozenset({"name"})),
        K("name-very-long", "合同" * 400 + ".txt", _contract_bytes, reads(), "an 800-character name",
          disk_name="合" * 80 + ".txt", tags=frozenset({"name"}), token="合" * 12),
        K("name-leading-dot", ".hidden-合同.txt", _contract_bytes, reads(),
          "a name starting with '.': batch must list it, not skip it silently", tags=frozenset({"name"}),
          token="hidden-合同"),
    ]


KINDS: list[Kind] = _kinds()
_BY_NAME = {k.name: k for k in KINDS}
assert len(_BY_NAME) == len(KINDS), "kind names must be unique"
assert len({k.file_name for k in KINDS}) == len(KINDS), "disk names must be unique"


def by_name(name: str) -> Kind:
    return _BY_NAME[name]


def good_contract() -> tuple[str, bytes]:
    """The one good contract a batch of hostile files holds."""
    return "good-contract.txt", _contract_bytes()


def write_all(directory: Path, kinds: list[Kind] | None = None) -> dict[str, Path]:
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    return {k.name: k.write(directory) for k in (kinds or KINDS)}


def small(limit: int = 256 * KB) -> list[Kind]:
    """Kinds whose bytes are small enough to seed a fuzzer or to upload in a load test."""
    return [k for k in KINDS if len(k.data()) <= limit]


if __name__ == "__main__":  # a listing: name, size, expected outcome
    import sys
    import time

    for k in KINDS:
        t0 = time.perf_counter()
        n = len(k.data())
        print(f"{k.name:30} {n:>10,} B {time.perf_counter() - t0:6.2f}s  {k.expect.describe()}", file=sys.stdout)
