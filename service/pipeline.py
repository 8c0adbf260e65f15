"""The one path every interface (CLI, REST, batch) takes: bytes -> Document -> review dict."""
from __future__ import annotations

from clause_library import review
from nlp import Limits, read_document

from .policy import with_verdict


def review_bytes(data: bytes, name: str, profile: str = "auto", limits: Limits | None = None) -> dict:
    """Review one file's bytes. Raises nlp.DocumentError for unreadable input, KeyError-free
    ValueError (`clause_library.UnknownProfile`) for an unknown profile id."""
    doc = read_document(data, name, limits)
    return with_verdict(review(doc, profile))


def review_path(path: str, profile: str = "auto", limits: Limits | None = None) -> dict:
    import os

    with open(path, "rb") as fh:
        data = fh.read()
    return review_bytes(data, os.path.basename(path), profile, limits)
