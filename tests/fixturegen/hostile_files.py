"""Hostile files, built in memory at test time (nothing large is kept in the repository): zip bombs
with honest and lying headers, XML bombs, forged Word numbering, PDFs assembled object by object
(reference loops, 100,000 pages, flate bombs, huge pages, private-use text), undecodable text.

Every builder streams what it compresses, so making a 512 MB bomb costs a few MB of memory.
"""
from __future__ import annotations

import io
import random
import struct
import zipfile
import zlib

from . import zip_of

MB = 1024 * 1024

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
DOCX_CT = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
           b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
           b'<Default Extension="xml" ContentType="application/xml"/>'
           b'<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
           b'wordprocessingml.document.main+xml"/>'
           b'<Override PartName="/word/numbering.xml" ContentType="application/vnd.openxmlformats-officedocument.'
           b'wordprocessingml.numbering+xml"/></Types>')
PKG_RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            b'2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>')
DOC_RELS = (b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
            b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
            b'2006/relationships/numbering" Target="numbering.xml"/></Relationships>')
CONTRACT = "第一条 甲方应当于本合同签订后三十日内向乙方支付服务费用。"


# --- Word -------------------------------------------------------------------------------------------

def document_xml(body: str) -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{W_NS}">'
            f"<w:body>{body}</w:body></w:document>").encode()


def paragraph(text: str, num_id: int | None = None) -> str:
    num = f'<w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="{num_id}"/></w:numPr></w:pPr>' if num_id else ""
    return f"<w:p>{num}<w:r><w:t>{text}</w:t></w:r></w:p>"


def docx(document: bytes, numbering: bytes | None = None, extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal valid .docx around the given parts."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", DOCX_CT)
        z.writestr("_rels/.rels", PKG_RELS)
        z.writestr("word/_rels/document.xml.rels", DOC_RELS if numbering else DOC_RELS.replace(b"numbering", b"x"))
        z.writestr("word/document.xml", document)
        if numbering:
            z.writestr("word/numbering.xml", numbering)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return buf.getvalue()


def numbering_xml(fmt: str, start: str, text: str = "%1") -> bytes:
    return (f'<?xml version="1.0" encoding="UTF-8"?><w:numbering xmlns:w="{W_NS}">'
            f'<w:abstractNum w:abstractNumId="0"><w:lvl w:ilvl="0"><w:start w:val="{start}"/>'
            f'<w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/></w:lvl></w:abstractNum>'
            f'<w:num w:numId="1"><w:abstractNumId w:val="0"/></w:num></w:numbering>').encode()


def numbered_docx(fmt: str, start: str, paragraphs: int = 3) -> bytes:
    body = "".join(paragraph(CONTRACT, num_id=1) for _ in range(paragraphs))
    return docx(document_xml(body), numbering_xml(fmt, start))


def _stream_member(z: zipfile.ZipFile, name: str, head: bytes, filler: bytes, size: int, tail: bytes) -> None:
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with z.open(info, "w", force_zip64=True) as fh:
        fh.write(head)
        written = 0
        while written < size:
            piece = filler * max(1, min(MB, size - written) // len(filler))
            fh.write(piece)
            written += len(piece)
        fh.write(tail)


def xml_heavy_docx(megabytes: int) -> bytes:
    """The issue's 5.7 MB .docx holding 190 MB of XML: an honest header, one huge document.xml of
    paragraphs that each carry text (so it compresses ~30:1, not like zeros)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", DOCX_CT)
        z.writestr("_rels/.rels", PKG_RELS)
        head = document_xml("").split(b"</w:body>")[0]
        rnd = random.Random(5)
        filler = "".join(paragraph(f"{CONTRACT}{rnd.randrange(10**6)}") for _ in range(2000)).encode()
        _stream_member(z, "word/document.xml", head, filler, megabytes * MB, b"</w:body></w:document>")
    return buf.getvalue()


def dense_elements_docx(elements: int) -> bytes:
    """Millions of tiny paragraphs: a few MB zipped (random two-letter texts keep the ratio honest,
    under the bomb check), gigabytes once every element is an lxml node."""
    head = document_xml("").split(b"</w:body>")[0]
    rnd = random.Random(11)
    letters = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    block = b"".join(b"<w:p>%c%c</w:p>" % (rnd.choice(letters), rnd.choice(letters)) for _ in range(50_000))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", DOCX_CT)
        z.writestr("_rels/.rels", PKG_RELS)
        _stream_member(z, "word/document.xml", head, block, elements * 13, b"</w:body></w:document>")
    return buf.getvalue()


def entity_bomb_docx() -> bytes:
    lol = '<!ENTITY a0 "lollollollollollollollollollol">' + "".join(
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10))
    doc = (f'<?xml version="1.0"?><!DOCTYPE w:document [{lol}]><w:document xmlns:w="{W_NS}"><w:body>'
           f"<w:p><w:r><w:t>&a9;</w:t></w:r></w:p></w:body></w:document>").encode()
    return docx(doc)


def external_entity_docx(path: str = "/etc/passwd") -> bytes:
    doc = (f'<?xml version="1.0"?><!DOCTYPE w:document [<!ENTITY x SYSTEM "file://{path}">]>'
           f'<w:document xmlns:w="{W_NS}"><w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>').encode()
    return docx(doc)


def deep_docx(depth: int) -> bytes:
    """Hyperlinks in hyperlinks: every level is a step of the reader's recursive walk."""
    inner = "<w:r><w:t>深</w:t></w:r>"
    body = "<w:p>" + "<w:hyperlink>" * depth + inner + "</w:hyperlink>" * depth + "</w:p>"
    return docx(document_xml(body))


def many_runs_docx(runs: int) -> bytes:
    """One paragraph of `runs` one-character runs: quadratic if each run is appended by copying the
    line. The characters are drawn at random so the part compresses like text, under the bomb check."""
    rnd = random.Random(3)
    chars = "甲乙方应当于本合同签订后三十日内向支付服务费用数据安全保密责任违约"
    body = "<w:p>" + "".join(f"<w:r><w:t>{rnd.choice(chars)}</w:t></w:r>" for _ in range(runs)) + "</w:p>"
    return docx(document_xml(body))


# --- zips ---------------------------------------------------------------------------------------------

def _repeated(size: int, byte: bytes, wbits: int, checksum: bool = True) -> tuple[bytes, int]:
    """Deflate data of `size` repetitions of `byte` (a multiple of 1 MB), and the CRC-32 of the raw
    bytes. A full flush resets the compressor, so every later megabyte compresses to the same bytes:
    one megabyte is compressed and its output repeated, instead of compressing gigabytes. Without
    `checksum` the sums are left wrong (only a reader that inflated everything would notice)."""
    chunk, count = byte * MB, max(1, size // MB)
    comp = zlib.compressobj(9, zlib.DEFLATED, wbits)
    first = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    middle = comp.compress(chunk) + comp.flush(zlib.Z_FULL_FLUSH)
    tail = comp.flush()
    crc, adler = zlib.crc32(chunk), zlib.adler32(chunk)
    for _ in range(count - 1 if checksum else 0):
        crc, adler = zlib.crc32(chunk, crc), zlib.adler32(chunk, adler)
    body = first + middle * (count - 1) + tail
    if wbits > 0:  # zlib format: its trailer is the Adler-32 of everything, not of two megabytes
        body = body[:-4] + struct.pack(">I", adler)
    return body, crc


def deflate_stream(size: int, byte: bytes = b"\0", checksum: bool = True) -> tuple[bytes, int]:
    """(raw deflate data, CRC-32) of `size` bytes of `byte`, as a zip member holds them."""
    return _repeated(size, byte, -15, checksum)


def raw_zip(members: list[tuple[str, bytes, int, int, int]], declared: dict[str, int] | None = None) -> bytes:
    """A zip written by hand: (name, deflated data, crc, real size, method) per member; `declared`
    overrides the uncompressed size the headers state (a lying header)."""
    local, central = bytearray(), bytearray()
    for name, data, crc, size, method in members:
        stated = (declared or {}).get(name, size)
        off = len(local)
        raw = name.encode()
        local += struct.pack("<4s5H3I2H", b"PK\x03\x04", 20, 0, method, 0, 0, crc, len(data), stated, len(raw), 0)
        local += raw + data
        central += struct.pack("<4s6H3I5H2I", b"PK\x01\x02", 20, 20, 0, method, 0, 0, crc, len(data), stated,
                               len(raw), 0, 0, 0, 0, 0, off)
        central += raw
    n = len(members)
    end = b""
    if n > 0xFFFF:  # zip64 end record and locator; the classic record then says 0xFFFF
        at = len(local) + len(central)
        end = struct.pack("<4sQ2H2I4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, n, n, len(central), len(local))
        end += struct.pack("<4sIQI", b"PK\x06\x07", 0, at, 1)
        n = 0xFFFF
    end += struct.pack("<4s4H2IH", b"PK\x05\x06", 0, 0, n, n, len(central), len(local), 0)
    return bytes(local + central + end)


def lying_docx(real: int, declared: int = 900) -> bytes:
    """A docx whose document.xml says it is `declared` bytes and inflates to `real` bytes."""
    data, crc = deflate_stream(real, b" ", checksum=False)  # a reader that got to the CRC has lost
    small = [(n, zlib.compress(b, 9)[2:-4], zlib.crc32(b), len(b), zipfile.ZIP_DEFLATED)
             for n, b in (("[Content_Types].xml", DOCX_CT), ("_rels/.rels", PKG_RELS))]
    return raw_zip(small + [("word/document.xml", data, crc, real, zipfile.ZIP_DEFLATED)],
                   declared={"word/document.xml": declared})


def many_members_zip(count: int, prefix: str = "word/media/x") -> bytes:
    """`count` empty stored members, written directly (zipfile would take seconds)."""
    members = [("[Content_Types].xml", DOCX_CT, zlib.crc32(DOCX_CT), len(DOCX_CT), zipfile.ZIP_STORED)]
    members += [(f"{prefix}{i}", b"", 0, 0, zipfile.ZIP_STORED) for i in range(count)]
    return raw_zip(members)


def archive(members: dict[str, bytes]) -> bytes:
    return zip_of(members, zipfile.ZIP_STORED)


# --- PDF ----------------------------------------------------------------------------------------------

def raw_pdf(objects: list[bytes], root: int = 1, trailer_extra: bytes = b"") -> bytes:
    """Numbered objects 1..n with a correct cross-reference table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root %d 0 R %s>>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root,
                                                                                 trailer_extra, xref)
    return bytes(out)


def stream(body: bytes, extra: bytes = b"", compress: bool = False) -> bytes:
    if compress:
        body = zlib.compress(body)
        extra += b" /Filter /FlateDecode"
    return b"<< /Length %d%s >>\nstream\n" % (len(body), extra) + body + b"\nendstream"


FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
TEXT = b"BT /F1 12 Tf 72 720 Td (Article 1. The customer pays the fees within thirty days.) Tj ET"


def text_pdf(pages: int = 1, content: bytes = TEXT, media_box: bytes = b"[0 0 612 792]") -> bytes:
    """`pages` pages sharing one content stream and font: ~80 bytes a page."""
    first_page = 5
    kids = b" ".join(b"%d 0 R" % (first_page + i) for i in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
               stream(content), FONT]
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox %s /Contents 3 0 R "
            b"/Resources << /Font << /F1 4 0 R >> >> >>" % media_box)
    objects += [page] * pages
    return raw_pdf(objects)


def image_pdf(pages: int, media_box: bytes = b"[0 0 612 792]") -> bytes:
    """An image-only "scan": every page draws one shared 1x1 grey image over the whole page."""
    kids = b" ".join(b"%d 0 R" % (5 + i) for i in range(pages))
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, pages),
               stream(b"q 612 0 0 792 0 0 cm /Im0 Do Q"),
               stream(b"\x80", b" /Type /XObject /Subtype /Image /Width 1 /Height 1 /ColorSpace /DeviceGray "
                               b"/BitsPerComponent 8")]
    page = (b"<< /Type /Page /Parent 2 0 R /MediaBox %s /Contents 3 0 R "
            b"/Resources << /XObject << /Im0 4 0 R >> >> >>" % media_box)
    return raw_pdf(objects + [page] * pages)


def flate_bomb_pdf(megabytes: int) -> bytes:
    """One page whose content stream is `megabytes` MB of spaces, deflated ~1000:1."""
    body, _ = _repeated(megabytes * MB, b" ", 15, checksum=False)
    content = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(body) + body + b"\nendstream"
    return raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
                    content, b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R >>"])


def loop_pdfs() -> dict[str, bytes]:
    """Reference loops: a page tree that contains itself, a page that is its own parent's kid twice
    over, an indirect /Length that points at itself."""
    return {
        "kids-self": raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [2 0 R] /Count 1 >>"]),
        "kids-cycle": raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                               b"<< /Type /Pages /Kids [2 0 R] /Count 1 /Parent 2 0 R >>"]),
        "length-self": raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
                                b"<< /Length 3 0 R >>\nstream\n" + TEXT + b"\nendstream",
                                b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R >>"]),
        "root-self": raw_pdf([b"<< /Type /Catalog /Pages 1 0 R >>"]),
    }


def private_use_pdf() -> bytes:
    """A text layer whose ToUnicode map sends every glyph to the private-use area (what subset fonts
    without a usable map extract as)."""
    cmap = (b"/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /PUA def "
            b"1 begincodespacerange <00> <FF> endcodespacerange 1 beginbfrange <20> <7E> <E020> endbfrange "
            b"endcmap CMapName currentdict /CMap defineresource pop end end")
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /ToUnicode 5 0 R >>"
    return raw_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [6 0 R] /Count 1 >>",
                    stream(TEXT), font, stream(cmap),
                    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R "
                    b"/Resources << /Font << /F1 4 0 R >> >> >>"])


def encrypted_pdf(user_password: str, owner_password: str = "owner") -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(text_pdf(1))))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


# --- text ---------------------------------------------------------------------------------------------

TRADITIONAL = ("第一條 甲方應當於本合同簽訂後三十日內向乙方支付服務費用。\n"
               "第二條 乙方應保證雲端服務的可用性不低於百分之九十九點九，並負責資料的安全與保密。\n")
SIMPLIFIED = ("第一条 甲方应当于本合同签订后三十日内向乙方支付服务费用。\n"
              "第二条 乙方应保证云端服务的可用性不低于百分之九十九点九，并负责资料的安全与保密。\n")


# --- OLE (.doc) -----------------------------------------------------------------------------------

def ole_difat_loop(sectors: int = 16384) -> bytes:
    """A compound file whose DIFAT chain points at itself and lists the same FAT sector over and over:
    a reader that follows it builds a FAT of hundreds of millions of entries from an 8 MB file."""
    ss = 512
    header = bytearray(ss)
    header[0:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HH", header, 0x18, 0x3E, 3)
    struct.pack_into("<H", header, 0x1C, 0xFFFE)
    struct.pack_into("<H", header, 0x1E, 9)  # 512-byte sectors
    struct.pack_into("<I", header, 0x30, 0)  # directory in sector 0
    struct.pack_into("<II", header, 0x44, 1, sectors)  # DIFAT chain starts at sector 1, "sectors" long
    struct.pack_into("<109I", header, 0x4C, *([2] * 109))
    body = bytearray(ss * sectors)
    struct.pack_into("<128I", body, ss * 1, *([2] * 127 + [1]))  # sector 1: 127 x FAT sector 2, next: 1
    return bytes(header + body)


def honest_bomb_docx(size: int = 2048 * MB) -> bytes:
    """A valid docx plus a member that says, truthfully, that it inflates ~1000:1 to `size` bytes."""
    data, crc = deflate_stream(size, checksum=False)
    small = [(n, zlib.compress(b, 9)[2:-4], zlib.crc32(b), len(b), zipfile.ZIP_DEFLATED)
             for n, b in (("[Content_Types].xml", DOCX_CT), ("_rels/.rels", PKG_RELS),
                          ("word/document.xml", document_xml(paragraph(CONTRACT))))]
    return raw_zip(small + [("word/media/bomb.bin", data, crc, size, zipfile.ZIP_DEFLATED)])
