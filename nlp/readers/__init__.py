"""File readers. The type is decided from the content (magic bytes, zip members), never the name.

Each reader module exposes one function `read(data: bytes) -> RawDocument`; they are imported lazily
so that reading a .txt never pays for loading the PDF or Word libraries.
"""
from __future__ import annotations

import importlib
from dataclasses import replace

from ..errors import EmptyDocument, UnsupportedType
from ..limits import Budget, Limits
from ..model import RawDocument
from .sniff import explain, sniff

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


def read_bytes(data: bytes, name: str = "", *, max_pages: int | None = None,
               max_ocr_pages: int | None = None, limits: Limits | None = None) -> RawDocument:
    """Read a file's bytes with the reader its content calls for. `limits` bound the work (see
    nlp.limits); `max_pages`/`max_ocr_pages` override its page limits."""
    limits = limits or Limits()
    overrides = {k: v for k, v in (("max_pages", max_pages), ("max_ocr_pages", max_ocr_pages)) if v is not None}
    if overrides:
        limits = replace(limits, **overrides)
    if not data or not data.strip():
        raise EmptyDocument("文件为空。", "The file is empty.")
    kind = sniff(data)
    module = READERS.get(kind)
    if module is None:
        zh, en = explain(kind)
        raise UnsupportedType(zh, en)
    reader = importlib.import_module(module, __name__)
    if kind in ("txt", "md"):
        raw = reader.read(data, kind, limits=limits)
    elif kind == "pdf":
        raw = reader.read(data, max_pages=limits.max_pages, max_ocr_pages=limits.max_ocr_pages, limits=limits)
    elif kind == "ofd":
        raw = reader.read(data, max_pages=limits.max_pages, limits=limits)
    else:
        raw = reader.read(data, limits=limits)
    if kind in ("doc", "wps"):
        raw.format = kind
    # Every reader stops early on its own; this catches what it produced in the last step.
    Budget(limits).block(len(raw.blocks))
    return raw
