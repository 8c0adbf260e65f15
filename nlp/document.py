"""Read a file into a `Document`: parse, normalise, structure, parties, definitions."""
from __future__ import annotations

import hashlib

from .definitions import find_definitions
from .errors import EmptyDocument, TooLarge
from .limits import Limits, check_counts
from .model import Document, Paragraph, RawDocument
from .normalize import normalize
from .parties import find_parties
from .readers import read_bytes
from .sentences import split_sentences
from .structure import article_at, parse_sections


__all__ = ["Limits", "assemble", "read_document", "read_path"]


def assemble(raw: RawDocument, name: str, sha256: str, limits: Limits | None = None) -> Document:
    paragraphs: list[Paragraph] = []
    parts: list[str] = []
    pos = 0
    for block in raw.blocks:
        body = normalize(block.text).strip()
        if block.label:
            body = f"{normalize(block.label)} {body}" if body else normalize(block.label)
        if not body:
            continue
        paragraphs.append(Paragraph(index=len(paragraphs), text=body, start=pos, end=pos + len(body),
                                    page=block.page, kind=block.kind))
        parts.append(body)
        pos += len(body) + 1
    text = "\n".join(parts)
    if not text.strip():
        raise EmptyDocument("文件中没有可读取的文字。", "The file contains no readable text.")
    # Before the per-paragraph and per-sentence work, which is what a long text makes slow.
    check_counts(len(text), len(paragraphs), limits or Limits())
    sections = parse_sections(paragraphs, len(text))
    sentences = split_sentences(paragraphs)
    for s in sentences:
        s.article = article_at(sections, s.start)
    return Document(name=name, sha256=sha256, format=raw.format, text=text, paragraphs=paragraphs,
                    sentences=sentences, sections=sections, parties=find_parties(text),
                    definitions=find_definitions(text), pages=raw.pages, ocr_pages=list(raw.ocr_pages),
                    warnings=list(raw.warnings))


def read_document(data: bytes, name: str, limits: Limits | None = None) -> Document:
    limits = limits or Limits()
    if len(data) > limits.max_bytes:
        raise TooLarge(f"文件超过大小上限（{limits.max_bytes // (1024 * 1024)} MB）。",
                       f"The file exceeds the size limit ({limits.max_bytes // (1024 * 1024)} MB).")
    raw = read_bytes(data, name, limits=limits)
    return assemble(raw, name=name, sha256=hashlib.sha256(data).hexdigest(), limits=limits)


def read_path(path: str, limits: Limits | None = None) -> Document:
    import os

    with open(path, "rb") as fh:
        data = fh.read()
    return read_document(data, os.path.basename(path), limits)
