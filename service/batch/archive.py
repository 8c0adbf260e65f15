"""Opening an uploaded zip of contracts safely, entirely in memory.

Everything that can be judged from the central directory (names, counts, declared sizes, ratios,
encryption, nesting) is judged before a single member is decompressed; members are then read with
a hard cap in case a header lies. Nothing is ever written to disk.
"""
from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass

MB = 1024 * 1024
ARCHIVE_SUFFIXES = (".zip", ".rar", ".7z", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".jar", ".cab", ".arj", ".lzh", ".zst")
# Files the archiving tool adds that nobody meant to upload.
JUNK = re.compile(r"(^|/)(__MACOSX/|\.DS_Store$|Thumbs\.db$|desktop\.ini$|~\$)")


@dataclass
class ArchiveLimits:
    max_members: int = 200  # files to review in one batch
    max_entries: int = 1000  # all central-directory entries, directories and junk included
    max_member_bytes: int = 20 * MB
    max_total_bytes: int = 100 * MB
    max_ratio: float = 100.0  # deflate of real documents stays far below; bombs far above
    ratio_min_bytes: int = 1 * MB  # tiny members may legitimately compress very well


class ArchiveRejected(Exception):
    def __init__(self, status: int, detail: str):
        super().__init__(detail)
        self.status = status
        self.detail = detail


def is_zip(data: bytes) -> bool:
    return data[:4] in (b"PK\x03\x04", b"PK\x05\x06")


def looks_like_archive(data: bytes) -> bool:
    """A zip that is a plain archive rather than a .docx/.ofd (which are zips too)."""
    if not is_zip(data):
        return False
    from nlp import DocumentError
    from nlp.readers.sniff import sniff

    try:
        return sniff(data) == "zip"
    except DocumentError:
        # The sniffer refused to look inside (a bomb, a broken directory): the archive checks will
        # give the precise reason.
        return True


def _member_name(info: zipfile.ZipInfo) -> str:
    name = info.filename
    if not info.flag_bits & 0x800:
        # Zips made on Chinese Windows store GBK names without saying so; zipfile decoded cp437.
        try:
            name = name.encode("cp437").decode("gbk")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return name.replace("\\", "/")


def _unsafe(name: str) -> bool:
    if "\x00" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return True
    return ".." in name.split("/")


def read_archive(data: bytes, limits: ArchiveLimits | None = None) -> list[tuple[str, bytes]]:
    """-> [(member path, bytes)] of the files to review. Raises ArchiveRejected (400/413)."""
    limits = limits or ArchiveLimits()
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError):
        raise ArchiveRejected(400, "压缩包已损坏，无法读取目录。") from None
    if len(infos) > limits.max_entries:
        raise ArchiveRejected(413, f"压缩包条目过多（{len(infos)} 个，上限 {limits.max_entries}）。")
    chosen: list[tuple[str, zipfile.ZipInfo]] = []
    total = 0
    for info in infos:
        name = _member_name(info)
        if _unsafe(name):
            raise ArchiveRejected(400, f"压缩包中含有不安全的路径：{name!r}（绝对路径或“..”）。")
        if info.is_dir() or JUNK.search(name):
            continue
        if info.flag_bits & 0x1:
            raise ArchiveRejected(400, f"压缩包中的文件已加密：{name}。请解密后重新打包。")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            # zipfile hands bzip2/lzma whole compressed chunks to the decompressor with no output
            # cap; only deflate is bounded as it decompresses.
            raise ArchiveRejected(400, f"压缩包中的文件 {name} 使用了不支持的压缩方式，请用普通 zip 格式打包。")
        if name.lower().endswith(ARCHIVE_SUFFIXES):
            raise ArchiveRejected(400, f"不支持压缩包内再嵌套压缩包：{name}。请解开后一并打包。")
        if info.file_size > limits.max_member_bytes:
            raise ArchiveRejected(413, f"压缩包中的文件 {name} 解压后超过 {limits.max_member_bytes // MB} MB。")
        if (info.file_size >= limits.ratio_min_bytes
                and info.file_size > limits.max_ratio * max(info.compress_size, 1)):
            raise ArchiveRejected(413, f"压缩包中的文件 {name} 压缩比异常（疑似压缩炸弹），已拒绝。")
        total += info.file_size
        if total > limits.max_total_bytes:
            raise ArchiveRejected(413, f"压缩包解压后总大小超过 {limits.max_total_bytes // MB} MB。")
        chosen.append((name, info))
    if len(chosen) > limits.max_members:
        raise ArchiveRejected(413, f"压缩包中的文件过多（{len(chosen)} 个，上限 {limits.max_members}）。")
    if not chosen:
        raise ArchiveRejected(400, "压缩包中没有文件。")
    members = []
    for name, info in chosen:
        try:
            with zf.open(info) as fh:
                # One byte more than declared: a header that understates the size is caught here.
                body = fh.read(info.file_size + 1)
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError, ValueError, EOFError, OSError):
            raise ArchiveRejected(400, f"压缩包中的文件 {name} 已损坏或使用了不支持的压缩方式。") from None
        if len(body) > info.file_size:
            raise ArchiveRejected(413, f"压缩包中的文件 {name} 实际大小与声明不符，已拒绝。")
        if looks_like_archive(body):
            raise ArchiveRejected(400, f"不支持压缩包内再嵌套压缩包：{name}。请解开后一并打包。")
        members.append((posixpath.normpath(name), body))
    return members
