"""OFD reader (GB/T 33190, the Chinese fixed-layout format government systems export).

An OFD is a zip: OFD.xml -> DocBody/DocRoot -> Document.xml -> Pages/Page/@BaseLoc -> Content.xml,
whose TextObjects hold TextCode runs positioned in millimetres. Converters write runs in any order
(often one TextObject per character), so characters are placed on the page, grouped into lines by
baseline and sorted by X; layout.py then drops headers/page numbers and re-joins paragraphs exactly
as for PDF. Page templates (TemplatePage), which usually carry the running header, are not read.
"""
from __future__ import annotations

import posixpath
import re

from ..errors import CorruptDocument, EncryptedDocument, NeedsOCR, TooComplex, TooLarge
from ..limits import Budget, Limits
from ..model import RawDocument
from . import xmlsafe
from .layout import CELL, CELL_GAP, CJK, SOFT, Line, join_lines, remove_running
from .sniff import open_zip
from .zipsafe import SafeZip

MAX_PAGES = 2000
MAX_PART = 32 * 1024 * 1024  # one XML part; a page's content is a few hundred KB at most
MAX_DOCUMENTS = 16  # DocBody entries: real files have one; each is parsed again for its pages
_NUM = re.compile(r"-?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|-?\.\d+|g")
_IS_CJK = re.compile(f"[{CJK}]")


def read(data: bytes, *, max_pages: int = MAX_PAGES, limits: Limits | None = None) -> RawDocument:
    budget = Budget(limits)
    # Declared sizes and ratios are checked before anything is inflated; every part read after that
    # counts against one budget (MAX_TOTAL), so pages referenced many times cost what they read.
    zf = open_zip(data)
    with zf:
        names = {n.lstrip("/").lower(): n for n in zf.namelist()}
        if any(n.endswith("encryptions.xml") for n in names):
            raise EncryptedDocument("OFD文件已加密，请提供未加密的文件。",
                                    "The OFD file is encrypted; please provide an unencrypted file.")
        part = _Parts(zf, names)
        root = part.xml("OFD.xml")
        doc_roots = [el.text.strip() for el in _find(root, "DocRoot") if el.text and el.text.strip()]
        if not doc_roots:
            raise CorruptDocument("OFD文件缺少文档入口（DocRoot）。", "The OFD file has no DocRoot.")
        if len(doc_roots) > MAX_DOCUMENTS:
            raise TooComplex(f"OFD文件包含{len(doc_roots)}个文档入口（上限{MAX_DOCUMENTS}个）。",
                             f"The OFD file has {len(doc_roots)} documents (limit {MAX_DOCUMENTS}).")
        pages: list[list[Line]] = []
        has_images = False
        for doc_path in doc_roots:
            doc_path = _resolve("", doc_path)
            doc = part.xml(doc_path)
            default_box = _box(doc)
            refs = [el.get("BaseLoc") for el in _find(doc, "Page") if el.get("BaseLoc")]
            if len(pages) + len(refs) > max_pages:
                raise TooLarge(f"OFD超过{max_pages}页上限。", f"The OFD has more than {max_pages} pages.")
            for ref in refs:
                content = part.xml(_resolve(posixpath.dirname(doc_path), ref))
                try:
                    pages.append(_page_lines(content, len(pages) + 1, _box(content) or default_box, budget))
                except (ValueError, OverflowError, ZeroDivisionError) as e:  # inf/NaN coordinates, 'g 1e999 …'
                    raise CorruptDocument(f"OFD文件第{len(pages) + 1}页的坐标数据无效，文件已损坏。",
                                          f"Page {len(pages) + 1} of the OFD has invalid coordinates ({e}).") from None
                has_images = has_images or next(_find(content, "ImageObject"), None) is not None
    if not any(pages):
        if has_images:
            raise NeedsOCR("OFD文件为扫描件（只有图像，没有文字），请转换为PDF后上传以便OCR识别。",
                           "The OFD holds only scanned images, no text; convert it to PDF so it can be OCR'd.")
        raise CorruptDocument("OFD文件中没有文字。", "The OFD file contains no text.")
    flat = [ln for lines in remove_running(pages) for ln in lines]
    return RawDocument(format="ofd", blocks=join_lines(flat), pages=len(pages))


class _Parts:
    def __init__(self, zf: SafeZip, names: dict[str, str]):
        self.zf, self.names = zf, names

    def xml(self, path: str):
        name = self.names.get(path.lstrip("/").lower())
        if name is None:
            raise CorruptDocument(f"OFD文件缺少部件 {path}。", f"The OFD file lacks the part {path}.")
        if self.zf.getinfo(name).file_size > MAX_PART:
            raise TooLarge(f"OFD部件 {path} 过大。", f"The OFD part {path} is too large.")
        # One part is parsed at a time (the previous page's tree is dropped), so each gets its own
        # element budget.
        return xmlsafe.parse(self.zf.read(name, MAX_PART), path)


def _find(root, local: str):
    """Elements by local name, whatever namespace (or none) the producer used."""
    return root.iter(f"{{*}}{local}", local)


def _resolve(base: str, ref: str) -> str:
    ref = ref.strip().replace("\\", "/")
    if ref.startswith("/"):
        return posixpath.normpath(ref.lstrip("/"))
    return posixpath.normpath(posixpath.join(base, ref))


def _floats(text: str | None) -> list[float]:
    return [float(v) for v in _NUM.findall(text or "") if v != "g"]


def _box(root) -> tuple[float, float] | None:
    for el in _find(root, "PhysicalBox"):
        v = _floats(el.text)
        if len(v) == 4 and v[2] > 0 and v[3] > 0:
            return v[2], v[3]
    return None


def _deltas(text: str | None, count: int) -> list[float]:
    """DeltaX: numbers, where 'g N d' stands for N repetitions of d (never more than `count` in all)."""
    toks = _NUM.findall(text or "")
    out: list[float] = []
    i = 0
    while i < len(toks) and len(out) < count:
        if toks[i] == "g" and i + 2 < len(toks):
            out += [float(toks[i + 2])] * min(int(float(toks[i + 1])), count - len(out))
            i += 3
        elif toks[i] != "g":
            out.append(float(toks[i]))
            i += 1
        else:
            break
    return out


def _chars(content, budget: Budget) -> list[tuple[float, float, float, float, str]]:
    """(x, baseline y, advance, size, char) for every character of the page, in page millimetres.
    Each character costs a tuple of ~150 bytes, so the character limit is applied as they come."""
    out = []
    for obj in _find(content, "TextObject"):
        bx, by = (_floats(obj.get("Boundary")) + [0.0, 0.0])[:2]
        ctm = _floats(obj.get("CTM"))
        a, b, c, d, e, f = ctm if len(ctm) == 6 else (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
        scale = max(abs(a * d - b * c) ** 0.5, 1e-6)
        size = float(obj.get("Size") or 3.5) * scale
        x = y = 0.0
        for code in _find(obj, "TextCode"):
            text = code.text or ""
            budget.chars(len(text))
            x = float(code.get("X")) if code.get("X") is not None else x
            y = float(code.get("Y")) if code.get("Y") is not None else y
            deltas = _deltas(code.get("DeltaX"), len(text))
            for k, ch in enumerate(text):
                adv = deltas[k] if k < len(deltas) else (size / scale if _IS_CJK.match(ch) else size / scale / 2)
                px, py = a * x + c * y + e + bx, b * x + d * y + f + by
                out.append((px, py, adv * scale, size, ch))
                x += adv
    return out


def _page_lines(content, number: int, box: tuple[float, float] | None, budget: Budget) -> list[Line]:
    chars = _chars(content, budget)
    if not chars:
        return []
    width, height = box or (max(c[0] + c[2] for c in chars), max(c[1] for c in chars))
    width, height = max(width, 1e-6), max(height, 1e-6)
    chars.sort(key=lambda c: c[1])
    rows: list[list[tuple]] = []
    for ch in chars:
        if rows and abs(ch[1] - rows[-1][0][1]) <= 0.4 * ch[3]:
            rows[-1].append(ch)
        else:
            rows.append([ch])
    lines = []
    for row in rows:
        row.sort(key=lambda c: c[0])
        parts = [row[0][4]]
        for prev, ch in zip(row, row[1:]):
            # Producers leave spaces out and position the next glyph instead: such a gap is SOFT (a
            # word space, or Word's spacing between Chinese and digits), or CELL when column-wide.
            gap = ch[0] - (prev[0] + prev[2])
            if gap > CELL_GAP * ch[3]:
                parts.append(CELL)
            elif gap > 0.3 * ch[3]:
                parts.append(SOFT)
            parts.append(ch[4])
        text = "".join(parts).strip()
        if not text:
            continue
        size = max(c[3] for c in row)
        lines.append(Line(text=text, page=number, x0=row[0][0] / width, x1=(row[-1][0] + row[-1][2]) / width,
                          top=(row[0][1] - size) / height, size=size / width))
    return lines
