"""Fixed-layout readers (PDF text layer, OCR of scans, OFD) against the sample contract.

Every fixture is generated from fixtures/sample/base_contract.txt, so the expected result is simply
what reading the .txt gives: the same normalised paragraphs, with the page furniture (header,
'第 N 页' footer, page numbers) gone and wrapped lines re-joined without spaces.
"""
from __future__ import annotations

import difflib
import io
import re
import time
import zipfile

import pytest

import nlp
from nlp.errors import CorruptDocument, EmptyDocument, EncryptedDocument, MissingTool, NeedsOCR, TooLarge
from nlp.readers import layout, ocr, pdf as pdf_reader
from nlp.readers.layout import Line

pdflike = pytest.importorskip("fixturegen.pdflike", reason="tests/ must be on sys.path (pytest rootdir)")

needs_font = pytest.mark.skipif(pdflike.cjk_font() is None,
                                reason="no TrueType CJK font for reportlab: apt-get install fonts-wqy-zenhei")
needs_ocr = pytest.mark.skipif(not ocr.available()[0],
                               reason="Tesseract with chi_sim missing: apt-get install tesseract-ocr tesseract-ocr-chi-sim")

CJK_SPACE = re.compile(rf"[{layout.CJK}] [0-9A-Za-z]|[0-9A-Za-z] [{layout.CJK}]|[{layout.CJK}] [{layout.CJK}]")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("pdflike")
    out = {"ofd": pdflike.make_ofd(d / "contract.ofd")}
    if pdflike.cjk_font() is not None:
        text = pdflike.make_text_pdf(d / "contract.pdf")
        out["pdf"] = text
        out["scan"] = pdflike.make_scanned_pdf(text, d / "scan.pdf")
        out["encrypted"] = pdflike.make_encrypted_pdf(text, d / "encrypted.pdf")
        out["owner_only"] = pdflike.make_encrypted_pdf(text, d / "owner_only.pdf", user_password="")
        out["truncated"] = pdflike.make_truncated_pdf(text, d / "truncated.pdf")
    return out


@pytest.fixture(scope="module")
def expected():
    return nlp.read_document(pdflike.BASE_CONTRACT.read_bytes(), "base_contract.txt")


def texts(doc) -> list[tuple[str, str]]:
    return [(p.kind, p.text) for p in doc.paragraphs]


def check_layout_clean(doc):
    assert "合同编号" not in doc.text, "running header left in the text"
    assert not re.search(r"第\s*\d+\s*页|^-\s*\d+\s*-$", doc.text, re.M), "page number left in the text"
    assert not any(layout.is_page_number(p.text) for p in doc.paragraphs)
    assert "30日内" in doc.text and "15日内" in doc.text
    for p in doc.paragraphs:
        label = layout.label_of(p.text)
        body = p.text[len(label):].lstrip() if label else p.text  # '第一条 定义' keeps its space
        assert not CJK_SPACE.search(body), f"space inserted next to Chinese: {p.text!r}"


def check_pages(doc, n_pages):
    pages = [p.page for p in doc.paragraphs]
    assert doc.pages == n_pages >= 2
    assert pages[0] == 1 and pages[-1] == n_pages
    assert pages == sorted(pages)


# ---------------------------------------------------------------------------------------- text PDF

@needs_font
def test_text_pdf_reads_like_the_txt(files, expected):
    t = time.perf_counter()
    doc = nlp.read_document(files["pdf"].read_bytes(), "contract.pdf")
    assert time.perf_counter() - t < 2
    assert doc.format == "pdf"
    assert texts(doc) == texts(expected)
    assert [s.text for s in doc.sentences] == [s.text for s in expected.sentences]
    check_layout_clean(doc)
    check_pages(doc, doc.pages)
    assert doc.ocr_pages == [] and doc.warnings == []


@needs_font
def test_text_pdf_raw_has_the_furniture_we_remove(files):
    """Guards the test above: the fixture really has a header, footers and spaced digits."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(files["pdf"].read_bytes())
    raw = "".join(p.get_textpage().get_text_range() for p in pdf)
    assert len(pdf) >= 2
    assert raw.count("合同编号") == len(pdf) and "第 2 页" in raw
    assert "在 30 日内" in raw  # the extractor's space between Chinese and digits
    assert re.search(r"[^。\n]\r\n", raw), "paragraphs should be wrapped over several lines"


def test_libreoffice_pdf_reads_like_the_txt(tmp_path, expected):
    """A PDF from a real office suite: justified lines, first-line indents, a header and a page
    field, a table drawn as a table."""
    pdf = pdflike.make_office_pdf(tmp_path)
    if pdf is None:
        pytest.skip("LibreOffice (soffice) not installed: apt-get install libreoffice-writer")
    doc = nlp.read_document(pdf.read_bytes(), "office.pdf")
    assert doc.pages >= 2
    assert texts(doc) == texts(expected)
    check_layout_clean(doc)


@needs_font
def test_permissions_only_encryption_still_reads(files, expected):
    doc = nlp.read_document(files["owner_only"].read_bytes(), "owner_only.pdf")
    assert texts(doc) == texts(expected)


# ---------------------------------------------------------------------------------------- OCR

def _bare(text: str) -> str:
    return re.sub(r"[\W_]+", "", text)


@needs_font
@needs_ocr
def test_scanned_pdf_is_ocred(files, expected):
    doc = nlp.read_document(files["scan"].read_bytes(), "scan.pdf")
    assert doc.ocr_pages == list(range(1, doc.pages + 1))
    assert any("为扫描件，已OCR识别" in w for w in doc.warnings)
    check_pages(doc, doc.pages)
    check_layout_clean(doc)
    # OCR misreads a character now and then (海棠 -> 海党), so the text is compared with a tolerance:
    # punctuation and whitespace removed, at least 97% similar. Structure must still come through.
    ratio = difflib.SequenceMatcher(None, _bare(doc.text), _bare(expected.text), autojunk=False).ratio()
    assert ratio >= 0.97, ratio
    assert len(doc.paragraphs) == len(expected.paragraphs)
    for label in ("第一章", "第三章", "第一条", "第二条", "第三条", "第四条", "第五条", "第六条", "附件一"):
        assert any(p.text.startswith(label) for p in doc.paragraphs), label


@needs_font
@needs_ocr
def test_mixed_pdf_ocrs_only_the_scanned_page(files, expected, tmp_path):
    from pypdf import PdfReader, PdfWriter

    w = PdfWriter()
    w.add_page(PdfReader(str(files["pdf"])).pages[0])
    for page in PdfReader(str(files["scan"])).pages[1:]:
        w.add_page(page)
    buf = io.BytesIO()
    w.write(buf)
    doc = nlp.read_document(buf.getvalue(), "mixed.pdf")
    assert doc.ocr_pages == list(range(2, doc.pages + 1))
    assert f"第2{'' if doc.pages == 2 else '–' + str(doc.pages)}页为扫描件，已OCR识别。" in doc.warnings
    # Page 1 came from the text layer, so what it holds is exact.
    page1 = [(p.kind, p.text) for p in doc.paragraphs if p.page == 1]
    assert page1 == [p for p in texts(expected)[:len(page1)]]


@needs_font
def test_scan_without_tesseract_names_the_packages(files, monkeypatch):
    monkeypatch.setattr(ocr, "available", lambda: (False, "未安装Tesseract OCR"))
    with pytest.raises(MissingTool) as err:
        nlp.read_document(files["scan"].read_bytes(), "scan.pdf")
    assert "tesseract-ocr" in err.value.message_zh and "tesseract-ocr-chi-sim" in err.value.message_en


@needs_font
@needs_ocr
def test_undecodable_text_layer_is_ocred(files, monkeypatch):
    """Subset fonts without a Unicode map extract as private-use characters; such pages are OCR'd."""
    real = pdf_reader._page_lines

    def garbled(page, number):
        lines = real(page, number)
        if number == 1:
            for ln in lines:
                ln.text = "".join(chr(0xE000 + ord(c) % 100) for c in ln.text)
        return lines

    monkeypatch.setattr(pdf_reader, "_page_lines", garbled)
    doc = nlp.read_document(files["pdf"].read_bytes(), "garbled.pdf")
    assert doc.ocr_pages == [1]
    assert "第1页的文字层无法解码（字体缺少编码信息），已OCR识别。" in doc.warnings
    assert not re.search("[\ue000-\uf8ff]", doc.text) and "第一条 定义" in doc.text


@needs_font
@needs_ocr
def test_ocr_timeout_gives_a_clear_error(files):
    with pytest.raises(EmptyDocument) as err:
        pdf_reader.read(files["scan"].read_bytes(), ocr_timeout=0.001)
    assert "OCR" in err.value.message_zh


@needs_font
def test_concurrent_reads_are_safe(files, expected):
    from concurrent.futures import ThreadPoolExecutor

    data = files["pdf"].read_bytes()
    with ThreadPoolExecutor(4) as pool:
        docs = list(pool.map(lambda _: nlp.read_document(data, "contract.pdf"), range(8)))
    assert all(texts(d) == texts(expected) for d in docs)


@needs_font
def test_ocr_page_limit(files):
    with pytest.raises(NeedsOCR):
        pdf_reader.read(files["scan"].read_bytes(), max_ocr_pages=0)


# ---------------------------------------------------------------------------------------- OFD

def test_ofd_reads_like_the_txt(files, expected):
    doc = nlp.read_document(files["ofd"].read_bytes(), "contract.ofd")
    assert doc.format == "ofd"
    assert texts(doc) == texts(expected)
    check_layout_clean(doc)
    check_pages(doc, doc.pages)


def test_image_only_ofd_needs_ocr(files):
    src = zipfile.ZipFile(files["ofd"])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for info in src.infolist():
            body = src.read(info).decode("utf-8")
            if info.filename.endswith("Content.xml"):
                body = re.sub(r"<ofd:TextObject.*?</ofd:TextObject>", "", body)
                body = body.replace("</ofd:Layer>", '<ofd:ImageObject ID="900" ResourceID="901" '
                                    'Boundary="0 0 148 210" CTM="148 0 0 210 0 0"/></ofd:Layer>')
            z.writestr(info.filename, body)
    _fails_fast(buf.getvalue(), "scan.ofd", NeedsOCR)


def _ofd_without(files, member: str) -> bytes:
    src = zipfile.ZipFile(files["ofd"])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for info in src.infolist():
            if info.filename != member:
                z.writestr(info.filename, src.read(info))
    return buf.getvalue()


# ---------------------------------------------------------------------------------------- hostile

def _fails_fast(data: bytes, name: str, error):
    t = time.perf_counter()
    with pytest.raises(error) as e:
        nlp.read_document(data, name)
    assert time.perf_counter() - t < 3
    assert e.value.message_zh and e.value.message_en
    return e.value


@needs_font
def test_encrypted_pdf(files):
    _fails_fast(files["encrypted"].read_bytes(), "encrypted.pdf", EncryptedDocument)


@needs_font
def test_truncated_pdf(files):
    _fails_fast(files["truncated"].read_bytes(), "truncated.pdf", CorruptDocument)


def test_garbage_pdf():
    _fails_fast(b"%PDF-1.7\n" + bytes(range(256)) * 40, "garbage.pdf", CorruptDocument)


@needs_font
def test_too_many_pages(files):
    with pytest.raises(TooLarge):
        pdf_reader.read(files["pdf"].read_bytes(), max_pages=1)


def test_ofd_zip_bomb(tmp_path):
    bomb = pdflike.make_ofd_bomb(tmp_path / "bomb.ofd")
    assert bomb.stat().st_size < 1024 * 1024
    # Refused on the declared size and ratio, before anything is inflated.
    _fails_fast(bomb.read_bytes(), "bomb.ofd", (CorruptDocument, TooLarge))


def test_ofd_truncated(files):
    data = files["ofd"].read_bytes()
    _fails_fast(data[: len(data) // 2], "truncated.ofd", CorruptDocument)


def test_ofd_missing_part(files):
    _fails_fast(_ofd_without(files, "Doc_0/Document.xml"), "broken.ofd", CorruptDocument)


def test_ofd_bad_xml(files, tmp_path):
    src = zipfile.ZipFile(files["ofd"])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for info in src.infolist():
            body = src.read(info)
            z.writestr(info.filename, body[:-40] if info.filename.endswith("Content.xml") else body)
    _fails_fast(buf.getvalue(), "badxml.ofd", CorruptDocument)


# ---------------------------------------------------------------------------------------- layout helpers

S = layout.SOFT  # a gap between glyphs, which extractors and OCR report as a space


@pytest.mark.parametrize("raw, clean", [
    (f"第{S}3{S}条{S}服务内容", "第3条 服务内容"),
    (f"在{S}30{S}日内完成", "在30日内完成"),
    (f"甲{S}方{S}应{S}当", "甲方应当"),
    (f"1.{S}档案数据：指", "1. 档案数据：指"),
    (f"附件{S}一{S}服务清单", "附件一 服务清单"),
    (f"（1）{S}计算资源", "（1）计算资源"),
    (f"12.1{S}个人信息", "12.1 个人信息"),
    (f"符合{S}ISO{S}27001{S}标准", "符合ISO 27001标准"),
    # Spaces that are characters in the file were typed by the author and stay.
    ("日期：2025年  月  日", "日期：2025年  月  日"),
    ("1 总则", "1 总则"),
])
def test_clean_spaces(raw, clean):
    assert layout.clean_spaces(raw) == clean


def test_continuation_line_gets_no_label_space():
    # '…支付本合同第' + '3.3.2 条款项…' wrapped: only a paragraph's own label keeps its space.
    assert layout.clean_spaces(f"3.3.2{S}条款项的依据", starts_block=False) == "3.3.2条款项的依据"


def test_ocr_punctuation_back_to_full_width():
    assert ocr.fullwidth_punct(f"甲方{S}({S}档案部门{S}){S}:{S}海棠") == f"甲方{S}（{S}档案部门{S}）{S}：{S}海棠"
    assert ocr.fullwidth_punct(f"1.{S}HT-2024:{S}A") == f"1.{S}HT-2024:{S}A"


@pytest.mark.parametrize("text", ["- 3 -", "第3页", "第 3 页 共 10 页", "3/10", "12", "—7—", "Page 2 of 9"])
def test_page_numbers(text):
    assert layout.is_page_number(text)


@pytest.mark.parametrize("text", ["第3条", "30日内", "2024年", "3.1 定义"])
def test_not_page_numbers(text):
    assert not layout.is_page_number(text)


def test_join_without_geometry_follows_punctuation_and_labels():
    lines = [Line(t, 1) for t in ("乙方应在合同终止后", f"30{S}日内删除数据；", "第二条 其他", "（一）甲方", "应当监督")]
    assert [b.text for b in layout.join_lines(lines)] == ["乙方应在合同终止后30日内删除数据；", "第二条 其他",
                                                          "（一）甲方应当监督"]


def test_ocr_header_variants_are_one_header():
    pages = []
    for n, header in enumerate(["海棠市档案馆政务云服务三方协议 合同编号:HT-2024-017",
                                "海棠市档案馆政务云服务三方协议“合同编号:HT2024-017",
                                "海棠市档案馆政务云服务三方协议 合同编号:HT-2024-O17"], start=1):
        pages.append([Line(header, n, 0.2, 0.8, 0.05, 0.02), Line(["甲方应当", "乙方不得", "丙方负责"][n - 1], n, 0.1, 0.5, 0.2, 0.02),
                      Line(f"第 {n} 页", n, 0.45, 0.55, 0.95, 0.02)])
    kept = [ln.text for page in layout.remove_running(pages) for ln in page]
    assert kept == ["甲方应当", "乙方不得", "丙方负责"]
