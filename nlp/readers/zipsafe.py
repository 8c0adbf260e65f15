"""Zip members (.docx parts, OFD pages, uploaded archives) read with bounded memory and time.

A zip's central directory says how many members it has and how large each inflates; both can lie.
The directory is believed only when it says "too much" (refused at once, before anything is
inflated); when it says "small", every member is still streamed through a counting reader:
- `zipfile.ZipFile.read()` inflates with a 1 GB output window before trimming to the declared size,
  so a member declaring 900 bytes and inflating to 2 GB costs 1-2 GB before anything can object.
  Here zipfile only parses the directory; members are inflated 1 MB at a time by zlib directly, and
  the read stops at the declared size + 1 (anything more is a lie), at an absolute cap per member and
  per archive, and checks the size and CRC at the end. The per-archive budget counts every read, so
  a part referenced 2,000 times costs 2,000 reads.
- the member count is taken from the end-of-central-directory record before `ZipFile` builds an
  object per entry (a 100,000-member zip is refused in microseconds, not after 60 MB of ZipInfos).
- only stored and deflated members are read: zipfile hands bzip2/lzma input to the decompressor
  with no output cap, and Office and OFD files never use them.
"""
from __future__ import annotations

import io
import struct
import zipfile
import zlib

from ..errors import CorruptDocument, EncryptedDocument, TooComplex, TooLarge

MB = 1024 * 1024
# A .docx has 10-50 parts, a few hundred with many images; an OFD one per page plus resources.
MAX_MEMBERS = 10_000
# The largest part a reader inflates. Every part read is XML that lxml parses, at roughly 7 bytes of
# memory per byte of XML: 64 MB of XML is ~450 MB parsed, within a 1.5 GB worker. Real contracts'
# document.xml is 0.1-10 MB.
MAX_MEMBER = 64 * MB
# Everything one read of one file inflates, repeats included.
MAX_TOTAL = 200 * MB
# Declared sizes: a member far above deflate's ratio on real content (XML 5-20:1) is a bomb.
MAX_RATIO = 100
RATIO_MIN_SIZE = 10 * MB
# Central-directory bytes per member, on average: real entries take 50-150 (46 + the name).
DIR_BYTES_PER_MEMBER = 256
CHUNK = 1 * MB

_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_EOCD64 = b"PK\x06\x06"


class SizeMismatch(CorruptDocument):
    """A member inflated past the size its header declares."""


def _damaged(detail: object = "") -> CorruptDocument:
    return CorruptDocument("文件已损坏或不完整（压缩包结构无法读取），请重新导出或重新下载。",
                           f"The file is damaged or truncated (unreadable zip structure{': ' if detail else ''}{detail}).")


def directory_size(data: bytes) -> tuple[int, int] | None:
    """(member count, central directory bytes) from the end-of-central-directory record, zip64 too;
    None when there is no such record (zipfile will say the file is not a zip)."""
    at = data.rfind(_EOCD, max(0, len(data) - 22 - 0xFFFF))
    if at < 0 or at + 22 > len(data):
        return None
    entries, size = struct.unpack_from("<HI", data, at + 10)
    if entries == 0xFFFF or size == 0xFFFFFFFF:
        loc = at - 20
        if loc >= 0 and data[loc:loc + 4] == _EOCD64_LOCATOR:
            (off,) = struct.unpack_from("<Q", data, loc + 8)
            # The locator's offset is from the archive start, which may sit after a prefix (SFX stubs).
            for rec in (off, data.rfind(_EOCD64, 0, loc)):
                if 0 <= rec and rec + 56 <= len(data) and data[rec:rec + 4] == _EOCD64:
                    entries, size = struct.unpack_from("<QQ", data, rec + 32)
                    break
    return entries, size


def check_member_count(data: bytes, max_members: int) -> None:
    """Refuse a zip with too many members from its end record alone."""
    found = directory_size(data)
    if found is None:
        return
    entries, size = found
    if entries > max_members or size > max_members * DIR_BYTES_PER_MEMBER:
        # 0xFFFF is the classic record's "see the zip64 record" value, not a count
        shown, shown_en = (f"{entries:,}个，", f"{entries:,}; ") if max_members < entries != 0xFFFF else ("", "")
        raise TooComplex(f"压缩文档包含的部件过多（{shown}上限{max_members:,}个）。",
                         f"It has too many parts ({shown_en}the limit is {max_members:,}).")


class SafeZip:
    """An in-memory zip whose members are only ever read through `read()`."""

    def __init__(self, data: bytes, *, max_members: int = MAX_MEMBERS, max_member: int = MAX_MEMBER,
                 max_total: int = MAX_TOTAL, check_declared: bool = True):
        check_member_count(data, max_members)
        self.data = data
        try:
            self.zf = zipfile.ZipFile(io.BytesIO(data))
            infos = self.zf.infolist()
        except MemoryError:
            raise
        except Exception as e:  # zipfile's parse errors vary: BadZipFile, NotImplementedError (a forged
            raise _damaged(e) from None  # "version needed"), struct.error, UnicodeDecodeError, ...
        if len(infos) > max_members:  # an end record that understated the count
            raise TooComplex(f"压缩文档包含的部件过多（{len(infos):,}个，上限{max_members:,}个）。",
                             f"It has too many parts ({len(infos):,}; the limit is {max_members:,}).")
        self.max_member, self.max_total = max_member, max_total
        self.inflated = 0
        if check_declared:
            self._check_declared(infos)

    def _check_declared(self, infos: list[zipfile.ZipInfo]) -> None:
        total = 0
        for info in infos:
            total += info.file_size
            if info.file_size > RATIO_MIN_SIZE and info.file_size > MAX_RATIO * max(info.compress_size, 1):
                raise CorruptDocument(
                    f"文件疑似压缩炸弹：部件 {info.filename} 声明解压后 {info.file_size // MB} MB，"
                    f"压缩比超过 {MAX_RATIO}:1，已拒绝读取。",
                    f"The file looks like a zip bomb: part {info.filename} declares {info.file_size // MB} MB "
                    f"uncompressed, a ratio above {MAX_RATIO}:1; refused.")
        if total > self.max_total:
            raise TooLarge(f"文档解压后总大小 {total // MB} MB，超过上限 {self.max_total // MB} MB。",
                           f"The document unpacks to {total // MB} MB, above the {self.max_total // MB} MB limit.")

    # --- directory ---------------------------------------------------------------------------------

    def infolist(self) -> list[zipfile.ZipInfo]:
        return self.zf.infolist()

    def namelist(self) -> list[str]:
        return self.zf.namelist()

    def getinfo(self, name: str) -> zipfile.ZipInfo:
        return self.zf.getinfo(name)

    def close(self) -> None:
        self.zf.close()

    def __enter__(self) -> "SafeZip":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- members -----------------------------------------------------------------------------------

    def read(self, member: str | zipfile.ZipInfo, limit: int | None = None) -> bytes:
        info = member if isinstance(member, zipfile.ZipInfo) else self.zf.getinfo(member)
        name = info.filename
        cap = min(limit, self.max_member) if limit else self.max_member
        if info.flag_bits & 0x1:
            raise EncryptedDocument(f"文件中的部件 {name} 已加密，请取消密码保护后重新上传。",
                                    f"The part {name} is encrypted; remove the password and upload again.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise CorruptDocument(f"文件中的部件 {name} 使用了不支持的压缩方式，请重新导出。",
                                  f"The part {name} uses an unsupported compression method; export the file again.")
        if info.file_size > cap:
            raise self._too_large(name, cap)
        if self.inflated + info.file_size > self.max_total:
            raise self._total_exceeded()
        raw = self._compressed(info)
        if info.compress_type == zipfile.ZIP_STORED:
            out = bytes(raw)
            self.inflated += len(out)
            if len(out) > info.file_size:
                raise self._lying(name)
        else:
            out = self._inflate(raw, info)
        if len(out) != info.file_size or zlib.crc32(out) != info.CRC:
            raise CorruptDocument(f"文件已损坏或不完整（部件 {name} 校验失败），请重新导出或重新下载。",
                                  f"The file is damaged or truncated (part {name} fails its size or CRC check).")
        return out

    def _compressed(self, info: zipfile.ZipInfo) -> memoryview:
        """The member's compressed bytes, located through its local header (as zipfile does)."""
        off = info.header_offset
        head = self.data[off:off + 30]
        if len(head) < 30 or head[:4] != b"PK\x03\x04":
            raise _damaged(f"no local header for {info.filename}")
        name_len, extra_len = struct.unpack_from("<HH", head, 26)
        start = off + 30 + name_len + extra_len
        raw = memoryview(self.data)[start:start + info.compress_size]
        if len(raw) < info.compress_size:
            raise _damaged(f"{info.filename} is cut short")
        return raw

    def _inflate(self, raw: memoryview, info: zipfile.ZipInfo) -> bytes:
        """Inflate at most 1 MB per step, and never more than the declared size + 1 byte in all.
        zipfile.ZipFile.read() would first inflate up to 1 GB and only then trim to the declared size."""
        d = zlib.decompressobj(-15)
        out = bytearray()
        pos = 0
        try:
            while not d.eof:
                piece = d.unconsumed_tail
                if not piece:
                    piece = raw[pos:pos + CHUNK]
                    pos += len(piece)
                    if not piece:
                        break  # input used up before the stream's end: truncated
                got = d.decompress(piece, min(CHUNK, info.file_size + 1 - len(out)))
                out += got
                self.inflated += len(got)
                if len(out) > info.file_size:
                    raise self._lying(info.filename)
                if self.inflated > self.max_total:
                    raise self._total_exceeded()
        except zlib.error as e:
            raise CorruptDocument(f"文件已损坏或不完整（部件 {info.filename} 无法解压），请重新导出或重新下载。",
                                  f"The file is damaged or truncated (part {info.filename} does not inflate: {e}).") from None
        return bytes(out)

    @staticmethod
    def _lying(name: str) -> CorruptDocument:
        return SizeMismatch(f"文件中的部件 {name} 实际大小与声明不符，文件已损坏或被篡改。",
                            f"The part {name} is larger than its zip header says; the file is damaged or forged.")

    @staticmethod
    def _too_large(name: str, cap: int) -> TooLarge:
        return TooLarge(f"文档部件 {name} 解压后超过 {cap // MB} MB 的上限，文档内容过大或结构过于复杂，无法审查。",
                        f"The part {name} unpacks to more than {cap // MB} MB; the document is too large "
                        "or too complex to review.")

    def _total_exceeded(self) -> TooLarge:
        return TooLarge(f"文档解压后的内容超过 {self.max_total // MB} MB 的上限，文档内容过大或结构过于复杂，无法审查。",
                        f"The document's content unpacks to more than {self.max_total // MB} MB; it is too large "
                        "or too complex to review.")

