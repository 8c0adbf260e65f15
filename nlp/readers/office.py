"""Word 97-2003 .doc and WPS .wps: converted to .docx by LibreOffice (headless), then read as .docx.

Each conversion gets its own temporary directory and LibreOffice profile: two soffice processes sharing
a profile hand their work to each other or deadlock, and a profile left behind leaks disk. The whole
process group is killed on timeout because soffice forks soffice.bin.
"""
from __future__ import annotations

import glob
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from ..errors import CorruptDocument, MissingTool, TooComplex
from ..limits import Limits
from ..model import RawDocument
from . import docx
from .sniff import sniff

TIMEOUT = 60
_SUFFIX = {"doc": ".doc", "wps": ".wps", "rtf": ".rtf", "odt": ".odt", "wordml": ".xml", "html": ".html"}


def find_soffice() -> str | None:
    override = os.environ.get("CLAUSECHECK_SOFFICE")
    if override:
        return override if os.path.exists(override) else None
    for name in ("soffice", "libreoffice"):
        path = shutil.which(name)
        if path:
            return path
    for pattern in ("/usr/lib/libreoffice/program/soffice", "/opt/libreoffice*/program/soffice",
                    "/Applications/LibreOffice.app/Contents/MacOS/soffice"):
        hits = sorted(glob.glob(pattern))
        if hits:
            return hits[-1]
    return None


# The converted .docx is read like an upload, so it must not be larger than one could be.
MAX_CONVERTED = 200 * 1024 * 1024


def read(data: bytes, kind: str | None = None, *, limits: Limits | None = None) -> RawDocument:
    kind = kind or sniff(data)
    raw = docx.read(convert_to_docx(data, _SUFFIX.get(kind, ".doc")), limits=limits)
    raw.format = kind
    return raw


def convert_to_docx(data: bytes, suffix: str = ".doc", timeout: float = TIMEOUT) -> bytes:
    soffice = find_soffice()
    if soffice is None:
        raise MissingTool("读取 .doc/.wps 文件需要 LibreOffice，但本机未安装（Debian/Ubuntu：apt-get install "
                          "libreoffice-writer-nogui，或 libreoffice-writer）。也可将文件另存为 .docx 后上传。",
                          "Reading .doc/.wps files needs LibreOffice, which is not installed (Debian/Ubuntu: "
                          "apt-get install libreoffice-writer-nogui, or libreoffice-writer). Alternatively save "
                          "the file as .docx and upload that.")
    tmp = Path(tempfile.mkdtemp(prefix="clausecheck-soffice-"))
    try:
        src = tmp / f"input{suffix}"
        src.write_bytes(data)
        out = tmp / "out"
        cmd = [soffice, "--headless", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
               f"-env:UserInstallation={(tmp / 'profile').as_uri()}",
               "--convert-to", "docx:MS Word 2007 XML", "--outdir", str(out), str(src)]
        _run(cmd, timeout, tmp)
        result = out / "input.docx"
        if not result.is_file() or result.stat().st_size == 0:
            raise CorruptDocument("LibreOffice 无法转换该文件，文件可能已损坏或不是有效的 Word/WPS 文档。",
                                  "LibreOffice could not convert the file; it may be damaged or not a valid "
                                  "Word/WPS document.")
        if result.stat().st_size > MAX_CONVERTED:
            raise TooComplex("转换后的文档超过 200 MB。", "The converted document is larger than 200 MB.")
        return result.read_bytes()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run(cmd: list[str], timeout: float, home: Path) -> None:
    env = dict(os.environ)
    env.setdefault("HOME", str(home))  # soffice refuses to start without a HOME
    try:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=env, start_new_session=True)
    except OSError as e:
        raise MissingTool(f"无法启动 LibreOffice（{cmd[0]}）：{e}。", f"Cannot start LibreOffice ({cmd[0]}): {e}.") from None
    try:
        proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise CorruptDocument(f"LibreOffice 转换超时（{timeout:.0f} 秒），文件可能已损坏或过于复杂。",
                              f"LibreOffice conversion timed out after {timeout:.0f} s; the file may be damaged "
                              "or too complex.") from None
    finally:
        if proc.poll() is None:
            _kill_group(proc)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.communicate()
