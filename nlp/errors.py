"""Typed reading errors. Every one carries a Chinese and an English message and the HTTP status the
API answers with; the CLI exits 2 on any of them."""
from __future__ import annotations


class DocumentError(Exception):
    code = "unreadable"
    http_status = 400

    def __init__(self, message_zh: str, message_en: str):
        super().__init__(message_en)
        self.message_zh = message_zh
        self.message_en = message_en

    def __str__(self) -> str:
        return f"{self.message_zh} / {self.message_en}"


class UnsupportedType(DocumentError):
    code = "unsupported-type"
    http_status = 415


class CorruptDocument(DocumentError):
    code = "corrupt"


class EncryptedDocument(DocumentError):
    code = "encrypted"


class EmptyDocument(DocumentError):
    code = "empty"


class NeedsOCR(DocumentError):
    code = "needs-ocr"


class MissingTool(DocumentError):
    """A converter the file needs (Tesseract, LibreOffice) is not installed."""

    code = "missing-tool"


class TooLarge(DocumentError):
    code = "too-large"
    http_status = 413
