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


class TooComplex(TooLarge):
    """Small on disk, but its content would take unbounded memory or time to read: an XML part with
    millions of elements, absurd nesting, a numbering value thousands of digits long."""

    code = "too-complex"
    http_status = 422

    def __init__(self, message_zh: str = "", message_en: str = ""):
        super().__init__(f"文档内容过大或结构过于复杂，无法审查。{message_zh}",
                         f"The document's content is too large or too complex to review. {message_en}".strip())


class TooManyCharacters(TooLarge):
    """More text than a review handles. Same code and arguments as the service's own check, so both
    report the limit alike whichever notices first."""

    code = "too-many-characters"
    http_status = 413

    def __init__(self, limit: int, count: int | None = None, at_least: bool = False):
        more = "以上" if at_least else ""
        shown = f"（约 {count:,} 字{more}）" if count else ""
        shown_en = f" ({'at least' if at_least else 'about'} {count:,} characters)" if count else ""
        super().__init__(f"文件文字过多{shown}，超过 {limit:,} 字的上限。请拆分为多个文件（例如正文与附件分开）后再审查。",
                         f"The text is too long{shown_en}; the limit is {limit:,} characters. "
                         "Split the file and review the parts.")


class TooManyOCRPages(NeedsOCR):
    """A scan with more pages than OCR may take on; refused before any page is recognised."""

    code = "too-many-ocr-pages"
    http_status = 413
