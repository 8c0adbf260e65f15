"""Finding the contracts under a folder. The type comes from the content, never the name.

This runs in the batch's parent process, which only hashes bytes: deciding the type means opening
zips (a .docx is one), so it happens in a limited child (service.isolated) like the review itself.
Everything left out is listed in `skipped`, with the reason in `reasons`."""
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
CLASSIFY_TIMEOUT = 60.0  # seconds to decide one file's type; a sniffer stuck longer fails that file

HIDDEN_REASON = "隐藏文件（名称以“.”开头），未审查；如需审查请改名"
HIDDEN_DIR_REASON = "隐藏目录（名称以“.”开头），其中的文件未审查"
LOCK_REASON = "Word 打开文档时生成的临时锁文件（~$），不是合同"
NOT_REGULAR_REASON = "不是普通文件（设备、管道或套接字），未读取"
UNREADABLE_REASON = "无法访问该文件"
NOT_CONTRACT_REASON = "不是合同文档"


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
    reasons: dict[str, str] = field(default_factory=dict)  # skipped rel -> why, in Chinese

    def skip(self, rel: str, reason: str) -> None:
        self.skipped.append(rel)
        self.reasons[rel] = reason


def _hidden(name: str) -> str | None:
    """Why a name is left out unseen, or None."""
    if name.startswith("~$"):  # Word's lock file for an open document, never a contract
        return LOCK_REASON
    if name.startswith("."):  # tools' files (.DS_Store, .git); listed so a real ".合同.docx" is noticed
        return HIDDEN_REASON
    return None


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


def classify_isolated(child, data: bytes) -> tuple[str | None, tuple[str, str] | None]:
    """classify() in the limited child; a child that fails (memory, time, crash) fails the file."""
    from service.isolated import IsolatedFailure

    if not data:
        return classify(data)
    try:
        kind, error = child.call("service.batch.discover:classify", data)
    except IsolatedFailure as exc:
        return None, (exc.code, exc.message_zh)
    return kind, (tuple(error) if error else None)


class _Names:
    """Relative paths as shown in every output: cleaned of control characters and terminal escapes
    (service.names), still unique."""

    def __init__(self):
        self.seen: set[str] = set()

    def __call__(self, rel: str) -> str:
        from service.names import clean_name

        shown = "/".join(clean_name(part) or ("_" if part else "") for part in rel.split("/"))
        candidate, n = shown, 2
        while candidate in self.seen:
            stem, dot, ext = shown.rpartition(".")
            candidate = f"{stem} ({n}).{ext}" if dot and stem else f"{shown} ({n})"
            n += 1
        self.seen.add(candidate)
        return candidate


def discover(root: str | os.PathLike, exclude: list[str | os.PathLike] = ()) -> Discovery:
    from service.isolated import Isolated

    with Isolated(CLASSIFY_TIMEOUT) as child:
        return _walk(Path(root).resolve(), {str(Path(p).resolve()) for p in exclude}, child)


def _walk(root_path: Path, excluded: set[str], child) -> Discovery:
    found = Discovery()
    shown = _Names()
    for dirpath, dirnames, filenames in os.walk(root_path, onerror=None, followlinks=False):
        keep = []
        for d in sorted(dirnames):
            full = Path(dirpath, d)
            if str(full.resolve()) in excluded:
                continue  # our own output folder
            if _hidden(d):
                found.skip(shown(full.relative_to(root_path).as_posix() + "/"), HIDDEN_DIR_REASON)
                continue
            keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            rel = shown(Path(path).relative_to(root_path).as_posix())
            why = _hidden(name)
            if why:
                found.skip(rel, why)
                continue
            try:
                st = os.stat(path)
            except OSError:
                found.skip(rel, UNREADABLE_REASON)
                continue
            # FIFOs and devices would block or never end when read.
            if not stat.S_ISREG(st.st_mode):
                found.skip(rel, NOT_REGULAR_REASON)
                continue
            try:
                sha, data, size = _read(path)
            except OSError as exc:
                found.candidates.append(Candidate(rel, path, 0, "", error=("io-error", f"无法读取文件：{exc.strerror or exc}")))
                continue
            kind, error = classify_isolated(child, data)
            unsupported = error is not None and error[0] == "unsupported-type"
            if unsupported and Path(name).suffix.lower() not in DOCUMENT_SUFFIXES:
                found.skip(rel, f"{NOT_CONTRACT_REASON}：{error[1]}")
                continue
            found.candidates.append(Candidate(rel, path, size, sha, kind, error))
    return found
