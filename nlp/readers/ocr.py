"""OCR of scanned PDF pages with Tesseract ('chi_sim'), pages in parallel.

pdfium is not thread-safe, so pages are rendered one at a time in the calling thread and handed,
as PGM bytes on stdin, to `tesseract` subprocesses run from a thread pool; at most two pages per
worker are rendered ahead, which bounds memory however long the scan is. Each Tesseract gets
OMP_THREAD_LIMIT=1: its own OpenMP threads only fight the page-level parallelism.

Tesseract stays in the reviewing process's process group, which the review worker leads
(service.child): when the worker is killed at its deadline, killpg ends its Tesseracts with it. A page
over its own time limit kills just that Tesseract. Its stderr is captured and logged as one line,
so it can never interleave with the server's JSON log.
"""
from __future__ import annotations

import contextlib
import csv
import functools
import io
import logging
import os
import re
import shutil
import subprocess
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from .layout import CELL, CELL_GAP, CJK, SOFT, Line

log = logging.getLogger(__name__)

LANG = "chi_sim"
DPI = 300
PAGE_TIMEOUT = 120.0  # seconds per page; a dense A4 page takes 5-20 s on one core
MAX_PIXELS = 40_000_000  # oversized pages (drawings) are rendered at a lower resolution


@functools.lru_cache(maxsize=1)
def available() -> tuple[bool, str]:
    """(usable, reason in Chinese when not)."""
    exe = shutil.which("tesseract")
    if not exe:
        return False, "未安装Tesseract OCR"
    try:
        out = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False, "Tesseract OCR无法运行"
    langs = {ln.strip() for ln in (out.stdout + out.stderr).splitlines()}
    if LANG not in langs:
        return False, "Tesseract OCR缺少简体中文语言包（chi_sim）"
    return True, ""


def why_en(reason_zh: str) -> str:
    return {
        "未安装Tesseract OCR": "Tesseract OCR is not installed",
        "Tesseract OCR无法运行": "Tesseract OCR cannot be run",
        "Tesseract OCR缺少简体中文语言包（chi_sim）": "Tesseract lacks the Simplified Chinese data (chi_sim)",
    }.get(reason_zh, "OCR is unavailable")


def workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def ocr_pdf_pages(data: bytes, pages: list[int], timeout: float = PAGE_TIMEOUT,
                  max_workers: int | None = None, lock=None) -> dict[int, list[Line]]:
    """OCR the given 1-based pages of a PDF; a page that fails or times out maps to [].

    `lock` guards every pdfium call (pdfium is not thread-safe); it is released while Tesseract
    runs, so other documents can be read meanwhile.
    """
    import pypdfium2 as pdfium

    results: dict[int, str] = {}
    if not pages:
        return {}
    lock = lock or contextlib.nullcontext()
    n_workers = max_workers or workers()
    with lock:
        pdf = pdfium.PdfDocument(data)
    try:
        with ThreadPoolExecutor(max_workers=n_workers) as pool:
            running: dict[Future, int] = {}
            for number in pages:
                while len(running) >= 2 * n_workers:
                    _collect(running, results, wait(running, return_when=FIRST_COMPLETED).done)
                with lock:
                    image, dpi = _render(pdf[number - 1])
                running[pool.submit(_tesseract, image, dpi, timeout)] = number
                del image
            _collect(running, results, wait(running).done)
    finally:
        with lock:
            pdf.close()
    return {p: _lines(results.get(p, ""), p) for p in pages}


def _collect(running: dict, results: dict, done) -> None:
    for fut in done:
        number = running.pop(fut)
        try:
            results[number] = fut.result()
        except Exception as e:  # a bad page must not sink the others
            log.warning("OCR of page %s failed: %s", number, e)
            results[number] = ""


def _render(page) -> tuple[bytes, int]:
    """The page as a grey PGM, and its resolution."""
    w, h = page.get_size()
    scale = DPI / 72
    if w * h * scale * scale > MAX_PIXELS:
        scale = (MAX_PIXELS / (w * h)) ** 0.5
    bitmap = page.render(scale=scale, grayscale=True)
    try:
        width, height, stride = bitmap.width, bitmap.height, bitmap.stride
        buf = bytes(bitmap.buffer)
        channels = bitmap.n_channels
    finally:
        bitmap.close()
        page.close()
    if channels == 1:
        rows = buf if stride == width else b"".join(buf[r * stride:r * stride + width] for r in range(height))
        return b"P5\n%d %d\n255\n" % (width, height) + rows, round(scale * 72)
    # Colour layout (BGR/BGRx): PPM wants RGB; grey is enough for OCR, so take the green channel.
    grey = bytearray(width * height)
    for r in range(height):
        grey[r * width:(r + 1) * width] = buf[r * stride + 1:r * stride + width * channels:channels]
    return b"P5\n%d %d\n255\n" % (width, height) + bytes(grey), round(scale * 72)


def _tesseract(image: bytes, dpi: int, timeout: float) -> str:
    env = dict(os.environ, OMP_THREAD_LIMIT="1")
    try:
        # psm 6 (one uniform block): contracts are single-column, and the automatic page segmentation
        # drops short heading lines such as '第一条 定义' as noise. subprocess.run kills Tesseract
        # when the page's time is up; stdout and stderr are pipes, never the worker's own stderr.
        out = subprocess.run(["tesseract", "stdin", "stdout", "-l", LANG, "--dpi", str(dpi), "--psm", "6", "tsv"],
                             input=image, capture_output=True, timeout=timeout, env=env, close_fds=True)
    except subprocess.TimeoutExpired:
        log.warning("OCR of a page timed out after %ss", timeout)
        return ""
    except OSError as e:  # cannot start (e.g. out of processes or memory): the page reads as empty
        log.warning("tesseract could not start: %s", type(e).__name__)
        return ""
    if out.returncode != 0:
        log.warning("tesseract failed (exit %s): %s", out.returncode, _one_line(out.stderr))
        return ""
    return out.stdout.decode("utf-8", "replace")


def _one_line(stderr: bytes, limit: int = 300) -> str:
    """Tesseract's complaint as one short log line: the last lines joined, control characters gone."""
    text = stderr.decode("utf-8", "replace")[-2000:]
    text = " | ".join(ln.strip() for ln in text.splitlines() if ln.strip())
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return text[-limit:]


_HALF_TO_FULL = {",": "，", ":": "：", ";": "；", "(": "（", ")": "）", "?": "？", "!": "！", "|": "｜"}
_IS_CJK = re.compile(f"[{CJK}]")


def fullwidth_punct(text: str) -> str:
    """chi_sim reads Chinese punctuation as ASCII ('甲方(档案部门) :'); put it back where it touches
    Chinese (gaps ignored), so '1.' and 'HT-2024' stay as they are."""
    chars = list(text)
    idx = [i for i, c in enumerate(chars) if c != SOFT]
    # Two passes: in '门) :海' the ')' makes the ':' touch Chinese only once it is converted.
    for order in (idx, idx[::-1]):
        for n, i in enumerate(order):
            if chars[i] not in _HALF_TO_FULL:
                continue
            near = [chars[order[m]] for m in (n - 1, n + 1) if 0 <= m < len(order)]
            if any(_IS_CJK.match(c) for c in near):
                chars[i] = _HALF_TO_FULL[chars[i]]
    return "".join(chars)


def _words_to_text(words: list[tuple[int, int, str]], height: int) -> str:
    cells, cur = [], [words[0][2]]
    for (_, end, _), (start, _, word) in zip(words, words[1:]):
        if start - end > CELL_GAP * height:
            cells.append(cur)
            cur = []
        cur.append(word)
    return CELL.join(fullwidth_punct(SOFT.join(c)) for c in cells + [cur])


def _lines(tsv: str, page: int) -> list[Line]:
    """Tesseract TSV -> lines with positions as fractions of the page image."""
    if not tsv:
        return []
    rows = list(csv.reader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE))
    if len(rows) < 2:
        return []
    page_w = page_h = None
    lines: dict[tuple, dict] = {}
    for row in rows[1:]:
        if len(row) < 12:
            continue
        level = row[0]
        left, top, width, height = (int(v) for v in row[6:10])
        if level == "1":
            page_w, page_h = width, height
        elif level == "4":
            lines[tuple(row[2:5])] = {"box": (left, top, width, height), "words": []}
        elif level == "5" and row[11].strip():
            entry = lines.get(tuple(row[2:5]))
            if entry is not None:
                entry["words"].append((left, left + width, row[11].strip()))
    if not page_w or not page_h:
        return []
    out: list[Line] = []
    for entry in lines.values():
        if not entry["words"]:
            continue
        left, top, width, height = entry["box"]
        out.append(Line(text=_words_to_text(entry["words"], height), page=page, x0=left / page_w, x1=(left + width) / page_w,
                        top=top / page_h, size=height / page_w))
    return out
