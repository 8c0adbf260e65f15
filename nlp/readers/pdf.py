"""PDF reader: the text layer through pypdfium2 (fast), OCR for pages that have none.

pdfium gives each page's text with \\r\\n between lines in reading order; we look up only the first
and last character box of each line, and the two neighbours of each gap pdfium reported as a space.
That is all the paragraph re-joining and header/footer detection in layout.py need, and keeps a
60-page contract near a tenth of a second.

Limits are applied before the work they bound: the page count from the page tree before any page is
loaded; flate streams that pdfium would inflate whole (a 2 MB file can hold a 3 GB content stream,
and pdfium aborts the process when memory runs out) by inflating them here first with a capped
output; the number of pages needing OCR as they are found, so a 300-page scan is refused after
looking at 201 pages rather than after OCR'ing 200; characters as pages are extracted.

Encryption: a file that needs a password to open is refused (EncryptedDocument). One with only an
owner ("permissions") password opens for any reader and shows its text on screen; it is read like
any other, as the recipient's viewer would.
"""
from __future__ import annotations

import re
import threading
import zlib

from ..errors import (CorruptDocument, EmptyDocument, EncryptedDocument, MissingTool, TooComplex,
                      TooLarge, TooManyOCRPages)
from ..limits import Budget, Limits
from ..model import RawDocument
from . import ocr
from .layout import CELL, CELL_GAP, SOFT, Line, join_lines, page_list, remove_running

MB = 1024 * 1024
MAX_PAGES = 2000
MAX_OCR_PAGES = 200
# Streams pdfium inflates whole when it loads a page: content streams (a text page has a few KB, a
# dense vector drawing a few MB), fonts (a full CJK font ~20 MB), object and cross-reference streams.
# Images are left out: pdfium decodes them row by row for rendering, and a 600 dpi scan is >100 MB.
MAX_STREAM = 64 * MB
MAX_STREAMS_TOTAL = 256 * MB
# PDF's own limit on a page side (200 inches). A bigger page is rendered for OCR at a scale that
# keeps it under ocr.MAX_PIXELS, which for a 10^9 x 1 point page is still a 200 MB bitmap row.
MAX_PAGE_SIDE = 14400
# A page with fewer visible characters than this and an image on it is taken for a scan (scanners
# often stamp a page number or a few garbage glyphs onto the image).
MIN_TEXT_CHARS = 8
# So many vector paths and no text: text printed "as outlines", which only OCR can read.
OUTLINE_PATHS = 200
# pdfium is not thread-safe, even across documents; the web service and batch runs read in threads.
PDFIUM_LOCK = threading.RLock()
# Private-use and replacement characters: what a font without a usable Unicode mapping extracts to.
_GARBLED = re.compile("[\ue000-\uf8ff\ufffd\x00-\x08\x0b\x0c\x0e-\x1e]")

SCANNED, GARBLED = "scanned", "garbled"


def read(data: bytes, *, max_pages: int = MAX_PAGES, max_ocr_pages: int = MAX_OCR_PAGES,
         ocr_timeout: float = ocr.PAGE_TIMEOUT, limits: Limits | None = None) -> RawDocument:
    check_streams(data)
    with PDFIUM_LOCK:
        n, pages, need_ocr = _extract(data, max_pages, max_ocr_pages, Budget(limits))
    warnings: list[str] = []
    if b"%%EOF" not in data.rstrip(b"\0\r\n\t ")[-1024:]:
        warnings.append("PDF文件结尾不完整（可能下载或传输中断），内容可能缺失。")
    ocr_done = _ocr(data, need_ocr, pages, max_ocr_pages, ocr_timeout, warnings)
    flat = [ln for lines in remove_running(pages) for ln in lines]
    return RawDocument(format="pdf", blocks=join_lines(flat), pages=n, ocr_pages=ocr_done, warnings=warnings)


_NOT_INFLATED = re.compile(rb"/Subtype\s*/Image\b|/Type\s*/EmbeddedFile\b")


def check_streams(data: bytes) -> None:
    """Refuse a PDF whose flate streams inflate past MAX_STREAM each or MAX_STREAMS_TOTAL together.

    Streams are found by their keyword, not through the cross-reference table (which may lie or be
    repaired by pdfium); every stream is a top-level object, so its dictionary is the text between
    the last 'obj' and the keyword. Data that does not inflate is left to pdfium to judge. Plain
    bytes.find keeps this at a few milliseconds for an ordinary contract."""
    total, prev_end, at = 0, 0, 0
    while (at := data.find(b"stream", at)) >= 0:
        start, at = at, at + 6
        if data[start - 3:start] == b"end" or data[at:at + 1] not in (b"\r", b"\n"):
            continue
        body = at + (2 if data[at:at + 2] == b"\r\n" else 1)
        head_at = max(prev_end, start - 64 * 1024)
        obj = data.rfind(b"obj", head_at, start)
        head = data[obj + 3 if obj >= 0 else head_at:start]
        prev_end = body
        if b"/FlateDecode" not in head or _NOT_INFLATED.search(head):
            continue
        size = _inflated_size(data, body, min(MAX_STREAM, MAX_STREAMS_TOTAL - total) + 1)
        total += size
        if size > MAX_STREAM or total > MAX_STREAMS_TOTAL:
            what = f"单个数据流解压后超过 {MAX_STREAM // MB} MB" if size > MAX_STREAM else \
                f"数据流解压后共超过 {MAX_STREAMS_TOTAL // MB} MB"
            what_en = f"a stream inflates to more than {MAX_STREAM // MB} MB" if size > MAX_STREAM else \
                f"its streams inflate to more than {MAX_STREAMS_TOTAL // MB} MB"
            raise TooComplex(f"PDF中{what}（疑似压缩炸弹）。", f"In the PDF, {what_en} (a flate bomb).")


def _inflated_size(data: bytes, at: int, cap: int) -> int:
    """Bytes the zlib stream starting at `at` inflates to, counting no further than `cap`."""
    d = zlib.decompressobj()
    size, pos = 0, at
    try:
        while not d.eof and size < cap:
            piece = d.unconsumed_tail  # input the last step had no room to inflate
            if not piece:
                if pos >= len(data):
                    break
                piece = data[pos:pos + 256 * 1024]
                pos += len(piece)
            size += len(d.decompress(piece, 1 * MB))
    except zlib.error:
        pass  # not zlib data (another filter first, or damage): pdfium decides
    return size


def _extract(data: bytes, max_pages: int, max_ocr_pages: int = MAX_OCR_PAGES,
             budget: Budget | None = None) -> tuple[int, list[list[Line]], dict[int, str]]:
    """Lines of every page, and the pages that need OCR with the reason."""
    import pypdfium2 as pdfium

    budget = budget or Budget()
    pdf = _open(pdfium, data)
    try:
        n = len(pdf)
        if n > max_pages:
            raise TooLarge(f"PDF共{n}页，超过上限{max_pages}页。",
                           f"The PDF has {n} pages, more than the limit of {max_pages}.")
        if n == 0:
            raise CorruptDocument("PDF中没有页面。", "The PDF has no pages.")
        pages: list[list[Line]] = []
        need_ocr: dict[int, str] = {}
        for i in range(n):
            try:
                page = pdf[i]
            except pdfium.PdfiumError as e:
                raise CorruptDocument(f"PDF第{i + 1}页已损坏。", f"Page {i + 1} of the PDF is damaged.") from e
            try:
                lines = _page_lines(page, i + 1)
                chars = re.sub(f"[ {SOFT}{CELL}]", "", "".join(ln.text for ln in lines))
                if len(chars) < MIN_TEXT_CHARS and _drawn_not_typed(pdfium, page):
                    need_ocr[i + 1], lines = SCANNED, []
                elif chars and len(_GARBLED.findall(chars)) >= 0.3 * len(chars):
                    need_ocr[i + 1], lines = GARBLED, []
                if i + 1 in need_ocr:
                    _check_ocr_page(page, i + 1, need_ocr, max_ocr_pages, n)
                else:
                    budget.chars(len(chars))
            finally:
                page.close()
            pages.append(lines)
        return n, pages, need_ocr
    finally:
        pdf.close()


def _check_ocr_page(page, number: int, need_ocr: dict[int, str], limit: int, n: int) -> None:
    """Refuse as soon as more pages need OCR than may be OCR'd, or a page could not be rendered."""
    if len(need_ocr) > max(limit, 0):
        raise TooManyOCRPages(
            f"PDF为扫描件或文字层无法解码，需OCR识别的页数超过上限（{limit}页；全文共{n}页）。请拆分文件后上传。",
            f"The PDF is a scan (or its text layer cannot be decoded): more than {limit} of its {n} pages "
            "need OCR, the limit. Split the file and upload the parts.")
    width, height = page.get_size()
    if not (1 <= width <= MAX_PAGE_SIDE and 1 <= height <= MAX_PAGE_SIDE):
        raise TooComplex(f"PDF第{number}页的页面尺寸异常（{width:.0f}×{height:.0f}点），无法进行OCR识别。",
                         f"Page {number} of the PDF has an abnormal size ({width:.0f}×{height:.0f} pt) "
                         "and cannot be OCR'd.")


def _open(pdfium, data: bytes):
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as e:
        code = getattr(e, "err_code", None)
        if code in (pdfium.raw.FPDF_ERR_PASSWORD, pdfium.raw.FPDF_ERR_SECURITY):
            raise EncryptedDocument("PDF已加密（需要密码），请提供未加密的文件。",
                                    "The PDF is encrypted (password required); please provide an unencrypted file.") from e
        raise CorruptDocument("PDF文件已损坏或不完整，无法打开。",
                              "The PDF is damaged or incomplete and cannot be opened.") from e


def _page_lines(page, number: int) -> list[Line]:
    import pypdfium2.raw as raw

    textpage = page.get_textpage()
    try:
        text = textpage.get_text_range()
        if not text.strip():
            return []
        width, height = page.get_size()
        if not width or not height:
            return []
        lines: list[Line] = []
        pos = 0
        for part in text.split("\r\n"):
            start, end = pos, pos + len(part)
            pos = end + 2
            stripped = part.strip()
            if not stripped:
                continue
            first = start + (len(part) - len(part.lstrip()))
            last = start + len(part.rstrip()) - 1
            a = _box(raw, textpage, first)
            b = _box(raw, textpage, last) if last != first else a
            if a is None or b is None:
                lines.append(Line(text=stripped, page=number))
                continue
            size = max(a[3] - a[1], 1.0)
            if " " in stripped:
                stripped = _mark_gaps(raw, textpage, part, start, size).strip()
            lines.append(Line(text=stripped, page=number, x0=a[0] / width, x1=b[2] / width,
                              top=1 - max(a[3], b[3]) / height, size=size / width))
        return lines
    finally:
        textpage.close()


def _mark_gaps(raw, textpage, part: str, start: int, size: float) -> str:
    """Spaces pdfium generated for a gap between glyphs become SOFT, or CELL when the gap is as wide
    as a table column's; space characters that are in the file stay."""
    out = list(part)
    for m in re.finditer(" ", part):
        k = m.start()
        if k == 0 or k == len(part) - 1:
            continue
        ci = raw.FPDFText_GetCharIndexFromTextIndex(textpage, start + k)
        if ci < 0 or raw.FPDFText_IsGenerated(textpage, ci) != 1:
            continue
        a, b = _char_box(raw, textpage, ci - 1), _char_box(raw, textpage, ci + 1)
        wide = a is not None and b is not None and b[0] - a[2] > CELL_GAP * size
        out[k] = CELL if wide else SOFT
    return "".join(out)


_RECT: list = []  # one reused FS_RECTF: allocating per call costs more than the call; PDFIUM_LOCK serialises use


def _box(raw, textpage, text_index: int) -> tuple[float, float, float, float] | None:
    """The loose box (font ascent to descent, so every glyph of a line gets the same height) of the
    character at a text index, or None where pdfium has no character behind the text."""
    ci = raw.FPDFText_GetCharIndexFromTextIndex(textpage, text_index)
    return _char_box(raw, textpage, ci) if ci >= 0 else None


def _char_box(raw, textpage, ci: int) -> tuple[float, float, float, float] | None:
    if not _RECT:
        _RECT.append(raw.FS_RECTF())
    rect = _RECT[0]
    if not raw.FPDFText_GetLooseCharBox(textpage, ci, rect):
        return None
    return rect.left, rect.bottom, rect.right, rect.top


def _drawn_not_typed(pdfium, page) -> bool:
    """An image (a scan) or a mass of vector paths (text converted to outlines) instead of text."""
    paths = 0
    for obj in page.get_objects(max_depth=3):
        if obj.type == pdfium.raw.FPDF_PAGEOBJ_IMAGE:
            return True
        if obj.type == pdfium.raw.FPDF_PAGEOBJ_PATH:
            paths += 1
            if paths >= OUTLINE_PATHS:
                return True
    return False


def _ocr(data: bytes, need: dict[int, str], pages: list[list[Line]], limit: int, timeout: float,
         warnings: list[str]) -> list[int]:
    if not need:
        return []
    todo_all = sorted(need)
    has_text = any(pages)
    ok, why = ocr.available()
    if not ok:
        if not has_text:
            raise MissingTool(
                f"PDF为扫描件，没有文字层，需要OCR识别，但{why}。请安装 Debian 软件包 tesseract-ocr 和 tesseract-ocr-chi-sim。",
                f"The PDF is a scan without a text layer and needs OCR, but {ocr.why_en(why)}. "
                "Install the Debian packages tesseract-ocr and tesseract-ocr-chi-sim.")
        warnings.append(f"第{page_list(todo_all)}页没有可用的文字层，需要OCR识别，但{why}，这些页未读取。")
        return []
    todo = todo_all  # never more than `limit`: _extract refused the file at the first page beyond it
    results = ocr.ocr_pdf_pages(data, todo, timeout=timeout, lock=PDFIUM_LOCK)
    done = [p for p in todo if results.get(p)]
    for p in done:
        pages[p - 1] = results[p]
    scanned = [p for p in done if need[p] == SCANNED]
    garbled = [p for p in done if need[p] == GARBLED]
    if scanned:
        warnings.append(f"第{page_list(scanned)}页为扫描件，已OCR识别。")
    if garbled:
        warnings.append(f"第{page_list(garbled)}页的文字层无法解码（字体缺少编码信息），已OCR识别。")
    failed = [p for p in todo if not results.get(p)]
    if failed:
        warnings.append(f"第{page_list(failed)}页OCR未识别出文字（或超时）。")
    if not any(pages):
        raise EmptyDocument("PDF为扫描件，OCR未能识别出文字（图像可能过于模糊，或识别超时）。",
                            "The PDF is a scan and OCR found no text (the images may be too blurred, or OCR timed out).")
    return done
