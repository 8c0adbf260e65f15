"""Opening an uploaded zip of contracts safely, entirely in memory.

The member count is taken from the zip's end record before the directory is parsed; everything else
that can be judged from the central directory (names, declared sizes, ratios, encryption, nesting) is
judged before a single member is decompressed; members are then read through the readers' bounded
zip reader (nlp.readers.zipsafe), which stops at the declared size + 1 and at the per-member and
per-archive caps in case a header lies. Nothing is ever written to disk.
"""
from __future__ import annotations

import posixpath
import re
import stat
import zipfile
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
    """`detail` is the Chinese message the API shows; `detail_en` its English twin."""

    def __init__(self, status: int, detail: str, detail_en: str = ""):
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.detail_en = detail_en

    def __reduce__(self):  # raised in a child process and re-raised in the parent
        return type(self), (self.status, self.detail, self.detail_en)


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


def _unsafe(name: str, info: zipfile.ZipInfo | None = None) -> bool:
    if "\x00" in name or name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return True
    if info is not None and stat.S_ISLNK(info.external_attr >> 16):  # a symlink entry names a path elsewhere
        return True
    return ".." in name.split("/")


def read_archive(data: bytes, limits: ArchiveLimits | None = None) -> list[tuple[str, bytes]]:
    """-> [(member path, bytes)] of the files to review. Raises ArchiveRejected (400/413)."""
    from nlp.errors import DocumentError, TooComplex
    from nlp.readers.zipsafe import SafeZip, SizeMismatch, directory_size

    limits = limits or ArchiveLimits()
    found = directory_size(data)
    if found and found[0] > limits.max_entries:  # refused from the end record, before parsing the directory
        raise ArchiveRejected(413, f"压缩包条目过多（{found[0]} 个，上限 {limits.max_entries}）。",
                              f"The archive has too many entries ({found[0]}; the limit is {limits.max_entries}).")
    try:
        zf = SafeZip(data, max_members=limits.max_entries, max_member=limits.max_member_bytes,
                     max_total=limits.max_total_bytes, check_declared=False)
        infos = zf.infolist()
    except TooComplex as e:
        raise ArchiveRejected(413, f"压缩包条目过多（上限 {limits.max_entries}）。", e.message_en) from None
    except DocumentError as e:
        raise ArchiveRejected(400, "压缩包已损坏，无法读取目录。", e.message_en) from None
    chosen: list[tuple[str, zipfile.ZipInfo]] = []
    total = 0
    for info in infos:
        name = _member_name(info)
        if _unsafe(name, info):
            raise ArchiveRejected(400, f"压缩包中含有不安全的路径：{name!r}（绝对路径、“..”或符号链接）。",
                                  f"The archive holds an unsafe path: {name!r} (absolute, '..' or a symbolic link).")
        if info.is_dir() or JUNK.search(name):
            continue
        if info.flag_bits & 0x1:
            raise ArchiveRejected(400, f"压缩包中的文件已加密：{name}。请解密后重新打包。",
                                  f"A file in the archive is encrypted: {name}. Decrypt it and pack again.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            # zipfile hands bzip2/lzma whole compressed chunks to the decompressor with no output
            # cap; only deflate is bounded as it decompresses.
            raise ArchiveRejected(400, f"压缩包中的文件 {name} 使用了不支持的压缩方式，请用普通 zip 格式打包。",
                                  f"{name} uses an unsupported compression method; pack it as a plain zip.")
        if name.lower().endswith(ARCHIVE_SUFFIXES):
            raise ArchiveRejected(400, f"不支持压缩包内再嵌套压缩包：{name}。请解开后一并打包。",
                                  f"Archives inside the archive are not supported: {name}. Unpack it first.")
        if info.file_size > limits.max_member_bytes:
            raise ArchiveRejected(413, f"压缩包中的文件 {name} 解压后超过 {limits.max_member_bytes // MB} MB。",
                                  f"{name} unpacks to more than {limits.max_member_bytes // MB} MB.")
        if (info.file_size >= limits.ratio_min_bytes
                and info.file_size > limits.max_ratio * max(info.compress_size, 1)):
            raise ArchiveRejected(413, f"压缩包中的文件 {name} 压缩比异常（疑似压缩炸弹），已拒绝。",
                                  f"{name} has an abnormal compression ratio (a zip bomb); refused.")
        total += info.file_size
        if total > limits.max_total_bytes:
            raise ArchiveRejected(413, f"压缩包解压后总大小超过 {limits.max_total_bytes // MB} MB。",
                                  f"The archive unpacks to more than {limits.max_total_bytes // MB} MB.")
        chosen.append((name, info))
    if len(chosen) > limits.max_members:
        raise ArchiveRejected(413, f"压缩包中的文件过多（{len(chosen)} 个，上限 {limits.max_members}）。",
                              f"The archive holds too many files ({len(chosen)}; the limit is {limits.max_members}).")
    if not chosen:
        raise ArchiveRejected(400, "压缩包中没有文件。", "The archive holds no files.")
    members = []
    for name, info in chosen:
        try:
            # Streams 1 MB at a time; stops one byte past the declared size and at the caps.
            body = zf.read(info)
        except DocumentError as e:
            if e.http_status == 413:
                raise ArchiveRejected(413, f"压缩包中的文件 {name} 解压后过大，已拒绝。", e.message_en) from None
            if isinstance(e, SizeMismatch):
                raise ArchiveRejected(413, f"压缩包中的文件 {name} 实际大小与声明不符，已拒绝。", e.message_en) from None
            raise ArchiveRejected(400, f"压缩包中的文件 {name} 已损坏或使用了不支持的压缩方式。", e.message_en) from None
        if looks_like_archive(body):
            raise ArchiveRejected(400, f"不支持压缩包内再嵌套压缩包：{name}。请解开后一并打包。",
                                  f"Archives inside the archive are not supported: {name}. Unpack it first.")
        members.append((posixpath.normpath(name), body))
    return members
