"""Finding the contracts under a folder. The type comes from the content, never the name."""
from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

SUPPORTED = {"txt", "md", "docx", "pdf", "doc", "wps", "ofd"}
# Names that promise a contract: when the content is not one we read, the user must be told rather
# than the file silently ignored (a scanned .pdf renamed, a truncated download).
DOCUMENT_SUFFIXES = {".txt", ".md", ".docx", ".pdf", ".doc", ".wps", ".ofd", ".rtf", ".docm", ".wpt"}
# Hashing needs every byte anyway; beyond this the reader would refuse the file (nlp.Limits).
SNIFF_WHOLE_LIMIT = 64 * 1024 * 1024
CHUNK = 1024 * 1024


@dataclass
class Candidate:
    rel: str  # posix path relative to the batch folder: the file's identity in every output
    path: str
    size: int
    sha256: str
    kind: str | None = None  # sniffed kind when supported
    error: tuple[str, str] | None = None  # (code, Chinese message) when discovery already failed it


@dataclass
class Discovery:
    candidates: list[Candidate] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # not contracts: images, archives, tools' files


def _hidden(name: str) -> bool:
    # "~$x.docx" is Word's lock file for an open document, never a contract.
    return name.startswith(".") or name.startswith("~$")


def _read(path: str) -> tuple[str, bytes, int]:
    digest = hashlib.sha256()
    kept = bytearray()
    size = 0
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(CHUNK)
            if not chunk:
                break
            digest.update(chunk)
            size += len(chunk)
            if size <= SNIFF_WHOLE_LIMIT:
                kept += chunk
            elif len(kept) > 65536:
                del kept[65536:]
    return digest.hexdigest(), bytes(kept), size


def classify(data: bytes) -> tuple[str | None, tuple[str, str] | None]:
    """-> (kind, None) when readable, else (None, (code, Chinese message))."""
    from nlp import DocumentError
    from nlp.readers.sniff import sniff

    if not data:
        # An empty file is still a contract someone meant to review; the reader explains it.
        return "txt", None
    try:
        kind = sniff(data)
    except DocumentError as exc:
        return None, (exc.code, exc.message_zh)
    except Exception as exc:  # a sniffer bug on one file must not end discovery
        return None, ("unreadable", f"无法识别文件类型：{type(exc).__name__}")
    if kind in SUPPORTED:
        return kind, None
    return None, ("unsupported-type", _explain(kind))


def _explain(kind: str) -> str:
    try:
        from nlp.readers.sniff import explain

        return explain(kind)[0]
    except Exception:  # the sniffer's wording is a nicety; never a reason to fail discovery
        return f"文件内容不是支持的类型（{kind}）；支持 .docx .pdf .txt .md .doc .wps .ofd。"


def discover(root: str | os.PathLike, exclude: list[str | os.PathLike] = ()) -> Discovery:
    root_path = Path(root).resolve()
    excluded = {str(Path(p).resolve()) for p in exclude}
    found = Discovery()
    for dirpath, dirnames, filenames in os.walk(root_path, onerror=None, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames
                             if not _hidden(d) and str(Path(dirpath, d).resolve()) not in excluded)
        for name in sorted(filenames):
            if _hidden(name):
                continue
            path = os.path.join(dirpath, name)
            rel = Path(path).relative_to(root_path).as_posix()
            try:
                st = os.stat(path)
            except OSError:
                found.skipped.append(rel)
                continue
            # FIFOs and devices would block or never end when read.
            if not stat.S_ISREG(st.st_mode):
                found.skipped.append(rel)
                continue
            try:
                sha, data, size = _read(path)
            except OSError as exc:
                found.candidates.append(Candidate(rel, path, 0, "", error=("io-error", f"无法读取文件：{exc.strerror or exc}")))
                continue
            kind, error = classify(data)
            unsupported = error is not None and error[0] == "unsupported-type"
            if unsupported and Path(name).suffix.lower() not in DOCUMENT_SUFFIXES:
                found.skipped.append(rel)
                continue
            found.candidates.append(Candidate(rel, path, size, sha, kind, error))
    return found
