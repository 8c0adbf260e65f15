"""Regenerate the README screenshots:

    docs/web-page.png         the web page (1280 px wide) with a reviewed contract and a finding selected,
                              via Playwright in Chromium against a server started in this process
    docs/annotated-draft.png  page 1 of an annotated draft made by
                              `clausecheck check X.docx --format docx -o out.docx`, converted by
                              LibreOffice (`soffice --headless --convert-to pdf`) and rendered by
                              `pdftoppm -png -r 80 -f 1 -l 1`, with the comments in the margin

LibreOffice 7.5 and later print the comments in the margin themselves (PDF export option
ExportNotesInMargin). Older versions (Debian 12 has 7.4) ignore that option: there LibreOffice exports
the comments as PDF annotations, and this script draws each one in a margin beside the page, at the
place LibreOffice anchored it, with the text LibreOffice exported.

    .venv/bin/python scripts/make_screenshots.py [--only web|draft] [--out docs]

Needs Chromium (/usr/bin/chromium or CLAUSECHECK_CHROMIUM), the playwright package, LibreOffice
(`soffice`) and poppler-utils (`pdftoppm`).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WEB_CONTRACT = ROOT / "fixtures" / "corpus" / "a08_sanfang-fujian.docx"  # conflicting, weak and satisfied
DRAFT = ROOT / "fixtures" / "corpus" / "c03_anquan-baomi-buchong.docx"  # comments on its first page
CHROMIUM = os.environ.get("CLAUSECHECK_CHROMIUM", "/usr/bin/chromium")
WIDTH, HEIGHT = 1280, 900
DPI = 80
FONTS = ["/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
         "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"]


# ---- the web page ----

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server:
    """The API and page in this process (uvicorn in a thread, its own temporary database)."""

    def __init__(self, folder: Path):
        import uvicorn

        from service.api import create_app
        from service.settings import Settings

        self.port = _free_port()
        settings = Settings(db_path=str(folder / "cc.sqlite3"), port=self.port, pool_kind="thread", workers=1)
        config = uvicorn.Config(create_app(settings), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.1)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(30)


def web_page(out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, _Server(Path(tmp)) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page(viewport={"width": WIDTH, "height": HEIGHT}, locale="zh-CN",
                                    device_scale_factor=1)
            page.goto(base + "/")
            page.wait_for_selector("#profile option[value='archives-gov-cloud']", state="attached")
            page.set_input_files("#file", str(WEB_CONTRACT))
            page.check("#keep")  # the text pane, and the annotated Word draft on offer
            page.click("#submit")
            page.wait_for_selector(".finding", timeout=60_000)
            page.wait_for_selector("#dl-annotated:not([hidden])")
            page.evaluate("() => document.activeElement && document.activeElement.blur()")
            # select a conflicting finding: its passages marked in the text, scrolled into view
            page.locator(".finding.st-conflicting .finding-title").first.click()
            page.wait_for_selector("#doc-text mark.ev.active")
            page.wait_for_timeout(800)  # the smooth scroll of the text pane
            # the page from the result's head: name, verdict, counts, downloads, then findings and text
            page.evaluate("() => window.scrollTo(0, document.querySelector('#result').getBoundingClientRect().top"
                          " + window.scrollY - 8)")
            page.wait_for_timeout(300)
            page.mouse.move(0, 0)
            page.screenshot(path=str(out))
        finally:
            browser.close()


# ---- the annotated draft ----

def _soffice_version() -> tuple[int, int]:
    text = subprocess.run(["soffice", "--version"], capture_output=True, text=True, timeout=60).stdout
    m = re.search(r"(\d+)\.(\d+)", text)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def _to_pdf(docx: Path, folder: Path, margin: bool) -> Path:
    flag = {"type": "boolean", "value": "true"}
    options = {"ExportNotesInMargin": flag} if margin else {"ExportNotes": flag}
    profile = (folder / "lo-profile").as_uri()  # its own profile: works beside a running LibreOffice
    subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--norestore",
                    "--convert-to", "pdf:writer_pdf_Export:" + json.dumps(options), "--outdir", str(folder), str(docx)],
                   check=True, capture_output=True, timeout=300)
    return folder / (docx.stem + ".pdf")


def _font(size: int, bold: bool = False):
    from PIL import ImageFont

    for path in sorted(FONTS, key=lambda f: ("Bold" in f) != bold):  # the wanted weight first, then any
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default()


def _wrap(text: str, font, width: int) -> list[str]:
    lines = []
    for para in text.split("\n"):
        line = ""
        for ch in para:
            if font.getlength(line + ch) > width:
                lines.append(line)
                line = ch
            else:
                line += ch
        lines.append(line)
    return lines


def _comments_in_margin(png: Path, pdf: Path) -> None:
    """Draw page 1's comment annotations (as LibreOffice exported them) in a margin right of the page."""
    from PIL import Image, ImageDraw
    from pypdf import PdfReader

    page = PdfReader(str(pdf)).pages[0]
    height_pt = float(page.mediabox.height)
    notes = []
    for ref in page.get("/Annots") or []:
        a = ref.get_object()
        if a.get("/Subtype") != "/Text" or not a.get("/Contents"):
            continue
        x0, y0, x1, y1 = (float(v) for v in a["/Rect"])
        author = str(a.get("/T", "")).split(",")[0].strip()
        notes.append((round((height_pt - y1) * DPI / 72), round(x0 * DPI / 72), author, str(a["/Contents"])))
    if not notes:
        return
    notes.sort()
    img = Image.open(png).convert("RGB")
    pw, ph = img.size
    gap, mw = 18, 330
    canvas = Image.new("RGB", (pw + gap + mw + 12, ph), "#ececec")
    canvas.paste(img, (0, 0))
    draw = ImageDraw.Draw(canvas)
    head, body = _font(12, bold=True), _font(11)
    line_h, pad, max_lines = 15, 7, 9
    left, inner = pw + gap, mw - 2 * pad
    top_free = 8
    for y, x, author, text in notes:
        lines = _wrap(text, body, inner)
        if len(lines) > max_lines:
            lines = lines[:max_lines]
            lines[-1] = lines[-1][:-1] + "…"
        box_h = pad * 2 + line_h + 4 + line_h * len(lines)
        top = max(y - 10, top_free)
        if top + box_h > ph - 4:
            top = ph - 4 - box_h
            if top < top_free:
                break  # no room left on this page
        fill, edge = "#fff4c2", "#c9a227"
        draw.line([(x, y + 6), (pw + 4, y + 6), (left, top + 12)], fill=edge, width=1)
        draw.rectangle([left, top, left + mw, top + box_h], fill=fill, outline=edge)
        draw.text((left + pad, top + pad), author, font=head, fill="#7a5c00")
        for i, line in enumerate(lines):
            draw.text((left + pad, top + pad + line_h + 4 + i * line_h), line, font=body, fill="#222222")
        top_free = top + box_h + 6
    canvas.save(png, optimize=True)


def annotated_draft(out: Path) -> None:
    for tool in ("soffice", "pdftoppm"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is not installed (LibreOffice, poppler-utils)")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        reviewed = folder / "reviewed.docx"
        # the command the README shows; exit status 1 is the verdict (fail), not an error
        subprocess.run([sys.executable, "-m", "service.cli", "check", str(DRAFT), "--format", "docx", "-o", str(reviewed)],
                       cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, timeout=300)
        if not reviewed.exists():
            raise SystemExit("clausecheck check did not write the annotated draft")
        margin = _soffice_version() >= (7, 5)
        pdf = _to_pdf(reviewed, folder, margin)
        subprocess.run(["pdftoppm", "-png", "-r", str(DPI), "-f", "1", "-l", "1", str(pdf), str(folder / "page")],
                       check=True, capture_output=True, timeout=120)
        png = next(folder.glob("page*.png"))
        if not margin:
            _comments_in_margin(png, pdf)
        shutil.copyfile(png, out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--only", choices=["web", "draft"])
    ap.add_argument("--out", default=str(ROOT / "docs"))
    args = ap.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.only in (None, "web"):
        web_page(out / "web-page.png")
        print(out / "web-page.png")
    if args.only in (None, "draft"):
        annotated_draft(out / "annotated-draft.png")
        print(out / "annotated-draft.png")
    return 0


if __name__ == "__main__":
    sys.exit(main())
