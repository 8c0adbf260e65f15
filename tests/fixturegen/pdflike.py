"""Generate fixed-layout fixtures (PDF, scanned PDF, OFD, hostile files) from the sample contract.

Nothing here is checked in as a binary: tests build what they need into a tmp dir. The text PDF is
laid out the way Word/WPS exports look to an extractor: an embedded TrueType CJK font, a running
header, a '第 N 页' footer, paragraphs wrapped over several lines with a two-character first-line
indent, and a quarter-em gap between Chinese and digits/Latin (Word's automatic spacing), which
extractors turn into spaces.
"""
from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASE_CONTRACT = ROOT / "fixtures" / "sample" / "base_contract.txt"
HEADER = "海棠市档案馆政务云服务三方协议    合同编号：HT-2024-017"

# reportlab embeds TrueType outlines only (Noto CJK is CFF), so these are the usable Debian fonts.
FONT_CANDIDATES = [
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),        # fonts-wqy-zenhei
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),      # fonts-wqy-microhei
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),          # fonts-arphic-uming
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),  # fonts-droid-fallback
]
FONT_NAME = "CJKFixture"

_NO_LINE_START = set("，。、；：！？）」』”’》")
_CJK = re.compile(r"[\u3001-\u303f\u3400-\u9fff\uff00-\uffef]")


def cjk_font() -> tuple[str, int] | None:
    for path, index in FONT_CANDIDATES:
        if os.path.exists(path):
            return path, index
    return None


def register_font() -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        found = cjk_font()
        if found is None:
            raise RuntimeError("no TrueType CJK font: apt-get install fonts-wqy-zenhei")
        pdfmetrics.registerFont(TTFont(FONT_NAME, found[0], subfontIndex=found[1]))
    return FONT_NAME


def contract_paragraphs(path: Path = BASE_CONTRACT) -> list[str]:
    return [ln.strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip()]


def _tokens(text: str) -> list[str]:
    """Chinese breaks between any two characters; a Latin word or a number is never broken."""
    return re.findall(r"[A-Za-z0-9][A-Za-z0-9.,:/%\-]* *|. *", text)


def _runs(text: str) -> list[str]:
    """Split into runs of Chinese and of everything else, where Word puts its automatic spacing."""
    out: list[str] = []
    for ch in text:
        cjk = bool(_CJK.match(ch)) or ch == " "
        if out and (bool(_CJK.match(out[-1][-1])) or out[-1][-1] == " ") == cjk:
            out[-1] += ch
        else:
            out.append(ch)
    return out


class _Typesetter:
    def __init__(self, size: float, autospace: float):
        from reportlab.pdfbase.pdfmetrics import stringWidth

        self.font = register_font()
        self.size = size
        self.gap = autospace * size
        self.width = lambda s: stringWidth(s, self.font, size)

    def pieces(self, text: str) -> list[tuple[str, float]]:
        """(run, width) with the autospace gap counted into the width of the run before it."""
        runs = _runs(text)
        return [(r, self.width(r) + (self.gap if i < len(runs) - 1 else 0)) for i, r in enumerate(runs)]

    def wrap(self, text: str, first_width: float, width: float) -> list[str]:
        lines, cur, avail = [], "", first_width
        for tok in _tokens(text):
            trial = cur + tok
            # Kinsoku: closing punctuation never starts a line, it hangs in the margin instead.
            if cur and tok not in _NO_LINE_START and sum(w for _, w in self.pieces(trial)) > avail:
                lines.append(cur)
                cur, avail = tok, width
            else:
                cur = trial
        return lines + [cur] if cur else lines

    def draw(self, canvas, x: float, y: float, text: str) -> None:
        for run, w in self.pieces(text):
            canvas.drawString(x, y, run)
            x += w


def make_text_pdf(out: Path, paragraphs: list[str] | None = None, *, pagesize=None, font_size: float = 11,
                  header: str | None = HEADER, footer: str | None = "第 {n} 页", indent: bool = True,
                  autospace: float = 0.25) -> Path:
    """A text PDF of the contract; returns its path. `paragraphs` defaults to the sample contract."""
    from reportlab.lib.pagesizes import A5
    from reportlab.lib.units import mm
    from reportlab.pdfgen.canvas import Canvas

    paragraphs = contract_paragraphs() if paragraphs is None else paragraphs
    pw, ph = pagesize or A5
    margin_x, margin_top, margin_bottom = 18 * mm, 22 * mm, 20 * mm
    ts = _Typesetter(font_size, autospace)
    lead = font_size * 1.6
    body_w = pw - 2 * margin_x
    c = Canvas(str(out), pagesize=(pw, ph), pageCompression=1)
    c.setTitle("海棠市档案馆政务云服务三方协议")
    page = 1

    def start_page():
        c.setFont(ts.font, 8)
        if header:
            c.drawCentredString(pw / 2, ph - 12 * mm, header)
            c.line(margin_x, ph - 13.5 * mm, pw - margin_x, ph - 13.5 * mm)
        if footer:
            c.drawCentredString(pw / 2, 10 * mm, footer.format(n=page))
        c.setFont(ts.font, font_size)
        return ph - margin_top

    y = start_page()
    for i, para in enumerate(paragraphs):
        if "｜" in para:  # a table row: cells at column positions, as a real table is drawn
            if y < margin_bottom:
                c.showPage()
                page += 1
                y = start_page()
            x = margin_x
            for cell in para.split("｜"):
                ts.draw(c, x, y, cell)
                x += max(body_w / 4, sum(w for _, w in ts.pieces(cell)) + 3 * font_size)
            y -= lead
            continue
        title = i == 0
        first_indent = 2 * font_size if indent and not title else 0
        for j, line in enumerate(ts.wrap(para, body_w - first_indent, body_w)):
            if y < margin_bottom:
                c.showPage()
                page += 1
                y = start_page()
            if title:
                x = (pw - sum(w for _, w in ts.pieces(line))) / 2
            else:
                x = margin_x + (first_indent if j == 0 else 0)
            ts.draw(c, x, y, line)
            y -= lead
        if title:
            y -= lead / 2
    c.save()
    return out


def make_scanned_pdf(src: Path, out: Path, dpi: int = 300) -> Path:
    """Image-only PDF: each page of `src` rendered to a grey bitmap and placed as a full-page image."""
    import pypdfium2 as pdfium
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen.canvas import Canvas

    pdf = pdfium.PdfDocument(str(src))
    c = Canvas(str(out))
    for page in pdf:
        w, h = page.get_size()
        image = page.render(scale=dpi / 72, grayscale=True).to_pil()
        buf = io.BytesIO()
        image.save(buf, format="PNG")
        buf.seek(0)
        c.setPageSize((w, h))
        c.drawImage(ImageReader(buf), 0, 0, width=w, height=h)
        c.showPage()
    c.save()
    pdf.close()
    return out


def make_encrypted_pdf(src: Path, out: Path, user_password: str = "secret", owner_password: str = "owner") -> Path:
    """AES-encrypted copy. With user_password='' it opens without a password (permissions only)."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(str(src)))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-128")
    with open(out, "wb") as fh:
        writer.write(fh)
    return out


def make_truncated_pdf(src: Path, out: Path, keep: float = 0.6) -> Path:
    data = src.read_bytes()
    out.write_bytes(data[: int(len(data) * keep)])
    return out


# ---------------------------------------------------------------------------------------------- OFD

OFD_NS = "http://www.ofdspec.org/2016"


def _ofd_text_objects(lines: list[tuple[float, float, str]], size: float, start_id: int) -> tuple[str, int]:
    """TextObjects for (x, baseline y, text) lines in mm. Lines are cut into runs as converters do;
    every third line is written character by character and in reverse order, so the reader has to
    sort by position rather than trust the file order."""
    objs, oid = [], start_id
    for n, (x, y, text) in enumerate(lines):
        adv = lambda ch: size if _CJK.match(ch) else size * 0.55  # noqa: E731
        if n % 3 == 2:
            items, cx = [], x
            for run in _runs(text):
                for ch in run:
                    items.append((cx, ch))
                    cx += adv(ch)
                cx += size * 0.25
            items.reverse()
        else:
            items, cx = [], x
            for run in _runs(text):
                items.append((cx, run))
                cx += sum(adv(ch) for ch in run) + size * 0.25
        for rx, run in items:
            steps = [adv(ch) for ch in run[:-1]]
            if len(set(steps)) == 1 and len(steps) > 1:
                deltas = f"g {len(steps)} {steps[0]:g}"
            else:
                deltas = " ".join(f"{v:g}" for v in steps)
            dx = f' DeltaX="{deltas}"' if steps else ""
            box = f"{rx:g} {y - size:g} {sum(adv(ch) for ch in run) + 1:g} {size * 1.4:g}"
            objs.append(f'<ofd:TextObject ID="{oid}" Boundary="{box}" Font="3" Size="{size:g}">'
                        f'<ofd:FillColor Value="0 0 0"/><ofd:TextCode X="0" Y="{size:g}"{dx}>{_xml(run)}</ofd:TextCode>'
                        f"</ofd:TextObject>")
            oid += 1
    return "".join(objs), oid


def _xml(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _em_width(text: str) -> float:
    """Width in em as _ofd_text_objects places it: Chinese 1, other 0.55, 0.25 between runs."""
    return sum(1.0 if _CJK.match(ch) else 0.55 for ch in text) + 0.25 * (len(_runs(text)) - 1) if text else 0.0


def _wrap_units(text: str, first: float, width: float) -> list[str]:
    """Wrap by width in em, with kinsoku, as a typesetter would."""
    lines, cur, avail = [], "", first
    for tok in _tokens(text):
        if cur and tok not in _NO_LINE_START and _em_width(cur + tok) > avail:
            lines.append(cur)
            cur, avail = "", width
        cur += tok
    return lines + [cur] if cur else lines


def make_ofd(out: Path, paragraphs: list[str] | None = None, *, chars_per_line: int = 24,
             lines_per_page: int = 22, header: str | None = HEADER) -> Path:
    """A minimal GB/T 33190 package: OFD.xml -> Doc_0/Document.xml -> Pages/Page_N/Content.xml."""
    paragraphs = contract_paragraphs() if paragraphs is None else paragraphs
    size, left, top, lead = 4.5, 18.0, 25.0, 7.0
    flat: list[list[tuple[float, str]]] = []  # per line: (x, text) pieces
    body = chars_per_line * size
    for i, para in enumerate(paragraphs):
        if "｜" in para:
            pieces, x = [], left
            for cell in para.split("｜"):
                pieces.append((x, cell))
                x += max(body / 4, (_em_width(cell) + 3) * size)
            flat.append(pieces)
            continue
        indent = 0 if i == 0 else 2
        for j, chunk in enumerate(_wrap_units(para, chars_per_line - indent, chars_per_line)):
            flat.append([(left + (indent * size if j == 0 else 0), chunk)])
    pages = [flat[k:k + lines_per_page] for k in range(0, len(flat), lines_per_page)]
    page_w, page_h = 2 * left + body, top + (lines_per_page + 1) * lead + 15

    files: dict[str, str] = {}
    page_refs, oid = [], 10
    for p, plines in enumerate(pages):
        lines = [(x, top + (k + 1) * lead, t) for k, pieces in enumerate(plines) for x, t in pieces]
        if header:
            lines.insert(0, (left + 2 * size, 14.0, header))
        lines.append((page_w / 2 - size, page_h - 8, f"- {p + 1} -"))
        body, oid = _ofd_text_objects(lines, size, oid)
        files[f"Doc_0/Pages/Page_{p}/Content.xml"] = (
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{OFD_NS}"><ofd:Content>'
            f'<ofd:Layer ID="{oid}">{body}</ofd:Layer></ofd:Content></ofd:Page>')
        oid += 1
        page_refs.append(f'<ofd:Page ID="{oid}" BaseLoc="Pages/Page_{p}/Content.xml"/>')
        oid += 1
    files["Doc_0/Document.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{OFD_NS}"><ofd:CommonData>'
        f"<ofd:MaxUnitID>{oid}</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 {page_w:g} {page_h:g}</ofd:PhysicalBox>"
        f"</ofd:PageArea><ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>"
        f"<ofd:Pages>{''.join(page_refs)}</ofd:Pages></ofd:Document>")
    files["Doc_0/PublicRes.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{OFD_NS}" BaseLoc="Res"><ofd:Fonts>'
        f'<ofd:Font ID="3" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>')
    files["OFD.xml"] = (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{OFD_NS}" Version="1.0" DocType="OFD">'
        f"<ofd:DocBody><ofd:DocInfo><ofd:DocID>0C5E2A4F8E8B4B0A9A3C1D2E3F405162</ofd:DocID>"
        f"<ofd:Title>海棠市档案馆政务云服务三方协议</ofd:Title></ofd:DocInfo>"
        f"<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>")
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("OFD.xml", files.pop("OFD.xml"))
        for name, text in files.items():
            z.writestr(name, text)
    return out


def make_ofd_bomb(out: Path, megabytes: int = 64) -> Path:
    """An OFD whose page content inflates ~1000:1 — a zip bomb with a valid-looking package around it."""
    good = make_ofd(out.with_suffix(".tmp.ofd"), ["第一条 定义"])
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            z.writestr(info.filename, src.read(info.filename))
        with z.open("Doc_0/Pages/Page_0/Res/padding.xml", "w", force_zip64=True) as fh:
            chunk = b" " * (1 << 20)
            for _ in range(megabytes):
                fh.write(chunk)
    good.unlink()
    return out


# ------------------------------------------------------------------------------- via LibreOffice

def make_office_pdf(out_dir: Path, paragraphs: list[str] | None = None, timeout: float = 120) -> Path | None:
    """The contract as Word would lay it out — justified, first-line indent, header, '第 N 页' page
    field in the footer, tables as tables — exported to PDF by LibreOffice. None without soffice.
    This is the closest stand-in here for the PDFs users upload."""
    import shutil
    import subprocess

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        return None
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn
    from docx.shared import Pt

    paragraphs = contract_paragraphs() if paragraphs is None else paragraphs
    doc = Document()
    normal = doc.styles["Normal"]
    normal.font.size = Pt(12)
    normal.font.name = "WenQuanYi Zen Hei"  # also creates the rPr the East Asian font goes in
    normal.element.rPr.rFonts.set(qn("w:eastAsia"), "WenQuanYi Zen Hei")
    section = doc.sections[0]
    section.header.paragraphs[0].text = HEADER
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run("第 ")
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        el = OxmlElement("w:fldChar" if kind else "w:instrText")
        if kind:
            el.set(qn("w:fldCharType"), kind)
        else:
            el.text = text
        footer.add_run()._r.append(el)
    footer.add_run(" 页")
    for i, text in enumerate(paragraphs):
        if "｜" in text:
            cells = text.split("｜")
            for cell, value in zip(doc.add_table(rows=1, cols=len(cells)).rows[0].cells, cells):
                cell.text = value
            continue
        para = doc.add_paragraph(text)
        if i == 0:
            para.alignment = WD_ALIGN_PARAGRAPH.CENTER
        else:
            para.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
            para.paragraph_format.first_line_indent = Pt(24)
    src = out_dir / "office_contract.docx"
    doc.save(src)
    # A private profile: concurrent soffice runs sharing one profile lock each other out.
    profile = (out_dir / "lo-profile").resolve().as_uri()
    subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(out_dir), str(src)], capture_output=True, timeout=timeout, check=False)
    out = out_dir / "office_contract.pdf"
    return out if out.exists() else None
