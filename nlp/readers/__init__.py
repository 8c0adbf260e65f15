"""File readers. The type is decided from the content (magic bytes, zip members), never the name."""
from __future__ import annotations

from ..errors import EmptyDocument, UnsupportedType
from ..model import RawDocument
from .sniff import sniff
from .text import read_text


def read_bytes(data: bytes, name: str = "") -> RawDocument:
    if not data or not data.strip():
        raise EmptyDocument("文件为空。", "The file is empty.")
    kind = sniff(data)
    if kind in ("txt", "md"):
        return read_text(data, kind)
    raise UnsupportedType(f"不支持的文件类型（{kind}）。", f"Unsupported file type ({kind}).")
