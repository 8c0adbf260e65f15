"""Reading contracts: files to normalised text, structure, parties and definitions."""
from .document import Limits, read_document, read_path
from .errors import DocumentError
from .model import Document

__all__ = ["Document", "DocumentError", "Limits", "read_document", "read_path"]
