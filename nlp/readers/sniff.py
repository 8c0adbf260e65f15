"""Decide a file's type from its bytes, never its name.

Returns a kind: pdf, docx, ofd, doc, wps, txt, md, or an unsupported one (zip, xlsx, pptx, odt, xls,
ppt, ole, rtf, html, xml, wordml, image, binary, empty). `explain(kind)` gives a message for the
unsupported ones. Raises only when the type is known but the file must not be opened: encrypted
Office files, and zips that zipsafe refuses (too many members, declared bombs, damaged).
"""
from __future__ import annotations

import re
import struct

from ..errors import CorruptDocument, EncryptedDocument
from .zipsafe import SafeZip

MB = 1024 * 1024
SAMPLE = 64 * 1024

_WORD_TYPES = (
    b"wordprocessingml.document.main+xml",
    b"wordprocessingml.template.main+xml",
    b"ms-word.document.macroEnabled.main+xml",
    b"ms-word.template.macroEnabledTemplate.main+xml",
)
_ODF_TYPES = {b"application/vnd.oasis.opendocument.text": "odt"}
_MD_HEADING = re.compile(r"^#{1,6}[ \t]+\S", re.M)


def sniff(data: bytes) -> str:
    if not data:
        return "empty"
    head = data[:16]
    # some generators put a BOM or a blank line before the PDF header
    if data[:1024].lstrip(b"\r\n\t \x00\xef\xbb\xbf").startswith(b"%PDF"):
        return "pdf"
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_kind(data)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return _ole_kind(data)
    if _is_image(head):
        return "image"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    return _text_kind(data)


def explain(kind: str) -> tuple[str, str]:
    """(Chinese, English) reason why a sniffed kind cannot be reviewed."""
    zh, en = _EXPLAIN.get(kind, (f"无法识别的文件类型（{kind}）", f"unrecognised file type ({kind})"))
    return (f"{zh}。请上传 .docx、.pdf、.txt、.md、.doc、.wps 或 .ofd 格式的合同文本。",
            f"{en}. Please upload the contract as .docx, .pdf, .txt, .md, .doc, .wps or .ofd.")


_EXPLAIN = {
    "image": ("这是一张图片，不是文档；请将扫描件合成为PDF后上传", "this is an image, not a document; "
              "combine the scans into a PDF"),
    "binary": ("文件内容是二进制数据，不是可识别的文档", "the file holds binary data, not a recognised document"),
    "zip": ("这是普通压缩包，不是Word或OFD文档", "this is a plain zip archive, not a Word or OFD document"),
    "xlsx": ("这是Excel表格，不是合同文档", "this is an Excel workbook, not a contract document"),
    "xls": ("这是Excel表格，不是合同文档", "this is an Excel workbook, not a contract document"),
    "pptx": ("这是PowerPoint演示文稿，不是合同文档", "this is a PowerPoint presentation"),
    "ppt": ("这是PowerPoint演示文稿，不是合同文档", "this is a PowerPoint presentation"),
    "odt": ("这是OpenDocument文本，请另存为.docx", "this is an OpenDocument text; save it as .docx"),
    "rtf": ("这是RTF文档，请另存为.docx", "this is an RTF document; save it as .docx"),
    "html": ("这是网页（HTML）文件，请另存为.docx或.pdf", "this is a web page (HTML); save it as .docx or .pdf"),
    "xml": ("这是XML数据文件，不是合同文档", "this is an XML data file, not a contract document"),
    "wordml": ("这是Word 2003 XML文档，请另存为.docx", "this is a Word 2003 XML document; save it as .docx"),
    "ole": ("这是无法识别的Office复合文档", "this is an unrecognised Office compound file"),
    "empty": ("文件为空", "the file is empty"),
}


# --- zip -------------------------------------------------------------------------------------------

def open_zip(data: bytes) -> SafeZip:
    """An in-memory zip, refused at once when its directory declares too many members, a bomb's
    ratio or too much in total; its members are then read through SafeZip's bounded reader only."""
    return SafeZip(data)


def _zip_kind(data: bytes) -> str:
    with open_zip(data) as zf:
        names = set(zf.namelist())
        if "OFD.xml" in names:
            return "ofd"
        if "mimetype" in names:
            mime = _small_member(zf, "mimetype").strip()
            if mime in _ODF_TYPES:
                return _ODF_TYPES[mime]
        if "[Content_Types].xml" not in names:
            return "zip"
        types = _small_member(zf, "[Content_Types].xml")
    if any(t in types for t in _WORD_TYPES):
        return "docx"
    if b"spreadsheetml" in types:
        return "xlsx"
    if b"presentationml" in types:
        return "pptx"
    return "zip"


def _small_member(zf: SafeZip, name: str, limit: int = 4 * MB) -> bytes:
    if zf.getinfo(name).file_size > limit:
        raise CorruptDocument(f"文档部件 {name} 异常庞大，文件可能已损坏。",
                              f"Document part {name} is abnormally large; the file may be damaged.")
    return zf.read(name, limit)


# --- OLE2 compound files (.doc, .wps, encrypted .docx) ----------------------------------------------

def _ole_kind(data: bytes) -> str:
    streams = ole_streams(data)
    if "EncryptionInfo" in streams or "EncryptedPackage" in streams:
        raise EncryptedDocument("文件已加密（设置了打开密码），请取消密码保护后重新上传。",
                                "The file is encrypted (password-protected); remove the password and upload again.")
    if "WordDocument" in streams:
        if _word_fib_encrypted(data, streams["WordDocument"]):
            raise EncryptedDocument("Word文档已加密（设置了打开密码），请取消密码保护后重新上传。",
                                    "The Word document is encrypted; remove the password and upload again.")
        # Kingsoft WPS saves its .wps in the Word 97 binary layout; only the Works format differs.
        return "doc"
    if "CONTENTS" in streams and ("SPELLING" in streams or "MatOST" in streams or "NativeContent_MAIN" in streams):
        return "wps"
    if "Workbook" in streams or "Book" in streams:
        return "xls"
    if "PowerPoint Document" in streams:
        return "ppt"
    return "ole"


def ole_streams(data: bytes) -> dict[str, tuple[int, int]]:
    """Directory entry names -> (start sector, size) of a compound file. Falls back to scanning for the
    few names we care about when the directory cannot be walked (truncated or odd files)."""
    try:
        return _ole_directory(data)
    except (struct.error, IndexError, ValueError):
        pass
    found = {}
    for name in ("EncryptionInfo", "EncryptedPackage", "WordDocument", "CONTENTS", "Workbook", "PowerPoint Document"):
        if name.encode("utf-16-le") in data:
            found[name] = (-1, 0)
    return found


_FREE, _END = 0xFFFFFFFF, 0xFFFFFFFE
# Directory entries kept: a .doc has a few dozen; a forged directory chain can name one per 128 bytes.
MAX_OLE_ENTRIES = 10_000


def _ole_directory(data: bytes) -> dict[str, tuple[int, int]]:
    shift = struct.unpack_from("<H", data, 0x1E)[0]
    if shift not in (9, 12):
        raise ValueError("sector size")
    ss = 1 << shift
    n_sectors = len(data) // ss  # bounds every chain walk, so cycles cannot loop forever
    per_sector = ss // 4
    # A FAT never needs more entries than the file has sectors, nor more FAT sectors than that
    # divided by the entries per sector: a forged DIFAT that lists sectors over and over would
    # otherwise build a list of billions of entries.
    max_fat_sectors = n_sectors // per_sector + 1
    first_dir = struct.unpack_from("<I", data, 0x30)[0]
    difat = list(struct.unpack_from("<109I", data, 0x4C))
    next_difat, n_difat = struct.unpack_from("<II", data, 0x44)
    per = per_sector - 1
    for _ in range(min(n_difat, n_sectors)):
        if next_difat >= _END or len(difat) >= max_fat_sectors + 109:
            break
        off = (next_difat + 1) * ss
        entries = struct.unpack_from(f"<{per + 1}I", data, off)
        difat.extend(entries[:per])
        next_difat = entries[per]
    fat: list[int] = []
    for sec in difat:
        if len(fat) >= n_sectors:
            break
        if sec >= _END:
            continue
        off = (sec + 1) * ss
        if off + ss > len(data):
            break
        fat.extend(struct.unpack_from(f"<{per_sector}I", data, off))
    out: dict[str, tuple[int, int]] = {}
    sec, steps = first_dir, 0
    while sec < _END and steps <= n_sectors and len(out) < MAX_OLE_ENTRIES:
        base = (sec + 1) * ss
        if base + ss > len(data):
            break
        for i in range(ss // 128):
            e = base + i * 128
            name_len, etype = struct.unpack_from("<HB", data, e + 0x40)
            if etype not in (1, 2, 5) or not 2 <= name_len <= 64:
                continue
            name = data[e:e + name_len - 2].decode("utf-16-le", "replace")
            start, size = struct.unpack_from("<II", data, e + 0x74)
            out[name] = (start, size)
        sec = fat[sec] if sec < len(fat) else _END
        steps += 1
    if not out:
        raise ValueError("no directory")
    return out


def _word_fib_encrypted(data: bytes, entry: tuple[int, int]) -> bool:
    start, size = entry
    if start < 0 or size < 4096:  # small streams live in the mini stream; not worth walking for this
        return False
    off = (start + 1) * (1 << struct.unpack_from("<H", data, 0x1E)[0])
    if off + 12 > len(data):
        return False
    ident, flags = struct.unpack_from("<H8xH", data, off)
    # FIB: wIdent 0xA5EC; fEncrypted is bit 8 of the flags word at 0x0A, fObfuscated bit 15
    return ident == 0xA5EC and bool(flags & 0x0100)


# --- images, text, binary -----------------------------------------------------------------------

def _is_image(head: bytes) -> bool:
    return (head.startswith((b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00",
                             b"MM\x00*", b"\x00\x00\x00\x0cjP  "))
            or (head[:4] == b"RIFF" and head[8:12] == b"WEBP")
            or (head[:2] == b"BM" and len(head) >= 14 and head[6:10] == b"\x00\x00\x00\x00"))


def _text_kind(data: bytes) -> str:
    from .text import sample_text

    text = sample_text(data[:SAMPLE], complete=len(data) <= SAMPLE)
    if text is None:
        return "binary"
    probe = text.lstrip("\ufeff \t\r\n")[:2048].lower()
    if probe.startswith("<?xml"):
        return "wordml" if "word.document" in probe else "xml"
    if probe.startswith(("<!doctype html", "<html")) or "<html" in probe[:512]:
        return "html"
    if probe.startswith("mime-version:") and "multipart/related" in probe:
        return "html"  # Word "single file web page" (.mht) saved with a .doc name
    headings = _MD_HEADING.findall(text)
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    if len(headings) >= 2 or _MD_HEADING.match(first):
        return "md"
    return "txt"
