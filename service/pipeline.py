"""The one path every interface (CLI, REST, batch) takes: bytes -> Document -> review dict."""
from __future__ import annotations

from clause_library import review
from nlp import Limits, read_document
from nlp.errors import TooManyCharacters  # noqa: F401  (re-exported: the API answers with it)

from . import contract_check
from .policy import with_verdict

DEFAULT_MAX_CHARACTERS = 1_000_000  # ~500 pages of Chinese; reviewing takes ~20 s at this size


def text_characters(data: bytes) -> int | None:
    """How many characters a plain-text (txt/md) upload holds, counted without parsing it; None for
    other formats, whose text is only known once read. Sniffing opens zips: call it only where
    reading is allowed (a worker or sandbox child, never the API server's process)."""
    from nlp.readers.sniff import sniff

    if sniff(data) not in ("txt", "md"):  # sniff looks at the head only
        return None
    from nlp.readers.text import decode_text

    try:
        return len(decode_text(data))
    except Exception:  # undecodable: the reader will say so properly
        return None


def check_characters_before_reading(data: bytes, max_characters: int | None) -> None:
    """Refuse an over-long plain text before the (slow) reading and reviewing start. Every character
    takes at least one byte, so files no longer than the limit in bytes are not even decoded."""
    if not max_characters or len(data) <= max_characters:
        return
    n = text_characters(data)
    if n is not None and n > max_characters:
        raise TooManyCharacters(max_characters, n)


def review_document(doc, profile: str = "auto") -> dict:
    """Judge a read document, apply the verdict policy and add the not-a-contract warning where it
    applies."""
    return contract_check.annotate(with_verdict(review(doc, profile)), doc.text)


def read_checked(data: bytes, name: str, limits: Limits | None = None, max_characters: int | None = None):
    import dataclasses

    check_characters_before_reading(data, max_characters)
    # the readers stop at the same limit as they go (nlp.limits), so a raised setting is honoured there too
    limits = dataclasses.replace(limits or Limits(), max_characters=max_characters)
    doc = read_document(data, name, limits)
    if max_characters and len(doc.text) > max_characters:
        raise TooManyCharacters(max_characters, len(doc.text))
    return doc


def review_bytes(data: bytes, name: str, profile: str = "auto", limits: Limits | None = None,
                 max_characters: int | None = DEFAULT_MAX_CHARACTERS) -> dict:
    """Review one file's bytes. Raises nlp.DocumentError for unreadable input (TooManyCharacters
    for text over `max_characters`; the same default as the server, so the CLI and batch answer an
    over-long file at once too; None: no limit), ValueError (`clause_library.UnknownProfile`) for an
    unknown profile id."""
    doc = read_checked(data, name, limits, max_characters)
    return review_document(doc, profile)


def review_path(path: str, profile: str = "auto", limits: Limits | None = None,
                max_characters: int | None = DEFAULT_MAX_CHARACTERS) -> dict:
    import os

    with open(path, "rb") as fh:
        data = fh.read()
    return review_bytes(data, os.path.basename(path), profile, limits, max_characters)
