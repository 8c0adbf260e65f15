"""Plain text and Markdown in UTF-8 (with or without BOM), UTF-16 and GB18030/GBK."""
from __future__ import annotations

from ..errors import CorruptDocument
from ..model import Block, RawDocument


def decode_text(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for enc in ("utf-8", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise CorruptDocument("无法识别文本编码。", "Cannot determine the text encoding.")


def read(data: bytes, kind: str = "txt") -> RawDocument:
    text = decode_text(data).replace("\r\n", "\n").replace("\r", "\n")
    blocks = [Block(text=line) for line in text.split("\n") if line.strip()]
    return RawDocument(format=kind, blocks=blocks)
