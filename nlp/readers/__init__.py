"""File readers. The type is decided from the content (magic bytes, zip members), never the name.

Each reader module exposes one function `read(data: bytes) -> RawDocument`; they are imported lazily
so that reading a .txt never pays for loading the PDF or Word libraries.
"""
from __future__ import annotations

import importlib

from ..errors import EmptyDocument, UnsupportedType
from ..model import RawDocument
from .sniff import sniff

# sniffed kind -> reader module (relative to this package)
READERS = {
    "txt": ".text",
    "md": ".text",
    "docx": ".docx",
    "pdf": ".pdf",
    "doc": ".office",
    "wps": ".office",
    "ofd": ".ofd",
}


def read_bytes(data: bytes, name: str = "") -> RawDocument:
    if not data or not data.strip():
        raise EmptyDocument("文件为空。", "The file is empty.")
    kind = sniff(data)
    module = READERS.get(kind)
    if module is None:
        raise UnsupportedType(f"不支持的文件类型（{kind}）。支持 .docx .pdf .txt .md .doc .wps .ofd。",
                              f"Unsupported file type ({kind}). Supported: .docx .pdf .txt .md .doc .wps .ofd.")
    reader = importlib.import_module(module, __name__)
    raw = reader.read(data) if kind not in ("txt", "md") else reader.read(data, kind)
    if kind in ("doc", "wps"):
        raw.format = kind
    return raw
