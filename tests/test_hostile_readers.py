"""Hostile files through the readers (issue 11): each ends in its own clear error, with its code, its
HTTP status and a Chinese message, within bounded memory and time.

Every file is generated here (tests/fixturegen/hostile_files.py); nothing large is checked in. Cases
that would eat gigabytes or minutes if a limit regressed run in a child process capped at 1 GiB of
address space and 30 s, so a regression fails the test instead of taking the machine with it.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import nlp
from nlp.errors import (CorruptDocument, DocumentError, EmptyDocument, EncryptedDocument, MissingTool, TooComplex,
                        TooLarge, TooManyCharacters, TooManyOCRPages, UnsupportedType)
from nlp.limits import Limits
from nlp.readers import ocr, pdf as pdf_reader
from nlp.readers.zipsafe import SafeZip
from service.batch.archive import ArchiveLimits, ArchiveRejected, read_archive

H = pytest.importorskip("fixturegen.hostile_files", reason="tests/ must be on sys.path (pytest rootdir)")

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile("[\u4e00-\u9fff]")
MB = 1024 * 1024


def refused(data: bytes, name: str, error: type[DocumentError], code: str, status: int,
            limits: Limits | None = None) -> DocumentError:
    """read_document refuses `data` with exactly this error class, code and HTTP status, in both
    languages."""
    with pytest.raises(DocumentError) as caught:
        nlp.read_document(data, name, limits)
    err = caught.value
    assert type(err) is error, f"{type(err).__name__}: {err}"
    assert (err.code, err.http_status) == (code, status)
    assert CJK.search(err.message_zh) and err.message_en.strip() and not CJK.search(err.message_en)
    return err


# --- in a limited child -------------------------------------------------------------------------------

CHILD = textwrap.dedent('''
    import json, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    sys.path[:0] = [{root!r}, {tests!r}]
    from fixturegen import hostile_files as H
    import nlp
    data, name = eval(sys.argv[1], {{"H": H}}), sys.argv[2]
    try:
        if sys.argv[3] == "reader":  # the reader alone, without normalising and structuring
            from nlp.readers import read_bytes
            raw = read_bytes(data, name)
            out = {{"read": True, "chars": sum(len(b.text) for b in raw.blocks)}}
        else:
            doc = nlp.read_document(data, name)
            out = {{"read": True, "text": doc.text[:2000], "chars": len(doc.text),
                    "labels": [p.text.split(" ")[0] for p in doc.paragraphs][:5]}}
    except nlp.DocumentError as e:
        out = {{"error": type(e).__name__, "code": e.code, "status": e.http_status, "zh": e.message_zh,
                "en": e.message_en}}
    print(json.dumps(out, ensure_ascii=False))
''').format(root=str(ROOT), tests=str(ROOT / "tests"))


def in_child(build: str, name: str, what: str = "document") -> dict:
    """Build the file with `build` (an expression over H) and read it in a child limited to 1 GiB of
    address space and 30 s: a limit that regressed shows as a MemoryError, a crash or a timeout."""
    proc = subprocess.run([sys.executable, "-c", CHILD, build, name, what], capture_output=True, text=True,
                          timeout=30, cwd=ROOT)
    assert proc.returncode == 0, f"child died ({proc.returncode}): {proc.stderr[-2000:]}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def child_refused(build: str, name: str, error: str, code: str, status: int) -> dict:
    out = in_child(build, name)
    assert (out.get("error"), out.get("code"), out.get("status")) == (error, code, status), out
    assert CJK.search(out["zh"]) and out["en"].strip()
    return out


HEAVY = [
    # (generator, upload name, error, code, HTTP status, words the Chinese message must hold)
    ("H.xml_heavy_docx(190)", "huge-xml.docx", "TooLarge", "too-large", 413, "超过 64 MB"),
    ("H.lying_docx(1024 * H.MB)", "lying.docx", "SizeMismatch", "corrupt", 400, "实际大小与声明不符"),
    ("H.honest_bomb_docx()", "bomb.docx", "CorruptDocument", "corrupt", 400, "压缩炸弹"),
    ("H.dense_elements_docx(2_500_000)", "dense.docx", "TooComplex", "too-complex", 422, "XML元素"),
    ("H.entity_bomb_docx()", "laughs.docx", "CorruptDocument", "corrupt", 400, "DTD"),
    ("H.flate_bomb_pdf(3000)", "flate-bomb.pdf", "TooComplex", "too-complex", 422, "压缩炸弹"),
    ("H.ole_difat_loop()", "difat.doc", "UnsupportedType", "unsupported-type", 415, "Office复合文档"),
    ("H.many_members_zip(100_000)", "members.docx", "TooComplex", "too-complex", 422, "部件过多"),
]


@pytest.mark.parametrize("build, name, error, code, status, words", HEAVY, ids=[c[1] for c in HEAVY])
def test_bombs_end_in_a_clear_error_within_1_gib(build, name, error, code, status, words):
    out = child_refused(build, name, error, code, status)
    assert words in out["zh"]
    assert "文档内容过大或结构过于复杂" in out["zh"] or code not in ("too-complex",)


def test_numbering_values_are_clamped_not_expanded():
    """A letter list starting at 5,000,000,000 (a 192-million-letter label) and a Chinese-counting
    list starting at a 4,200-digit number (RecursionError) read as ordinary numbered paragraphs."""
    out = in_child("H.numbered_docx('lowerLetter', '5000000000')", "letters.docx")
    assert out.get("read"), out
    assert all(len(label) <= 8 for label in out["labels"]), out["labels"]  # decimal beyond 'zzz…' x20
    out = in_child("H.numbered_docx('chineseCounting', '9' * 4200)", "cn.docx")
    assert out.get("read"), out
    assert out["labels"][:3] == ["三万二千七百六十七", "三万二千七百六十八", "三万二千七百六十九"]


def test_a_paragraph_of_600_000_runs_reads_in_linear_time():
    """Appending each run by copying the line was quadratic: over a minute for this file."""
    out = in_child("H.many_runs_docx(600_000)", "runs.docx", "reader")
    assert out.get("read") and out["chars"] == 600_000, out


# --- CPU: every pattern over user text is linear ---------------------------------------------------

LINES = {"stars": "*" * 240_000, "star-a": "*a " * 80_000, "bold-a": "**a " * 60_000, "underscore": "_a" * 100_000,
         "brackets": "[" * 240_000, "images": "![" * 120_000, "link-open": "[a](" * 60_000,
         "spaces": " " * 240_000 + "x", "hashes": " #" * 120_000 + "x", "ideographic": "\u3000" * 200_000 + "甲",
         "articles": "第一条" * 100_000, "table": "|--" * 80_000 + "x", "rule": "- " * 120_000 + "x",
         "quotes": "> " * 120_000 + "x", "backticks": "`a" * 120_000}

CPU_CHILD = textwrap.dedent('''
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
    sys.path[:0] = [{root!r}, {tests!r}]
    from test_hostile_readers import LINES
    from nlp.model import Paragraph
    from nlp.normalize import normalize
    from nlp.readers import text
    from nlp.sentences import split_sentences
    from nlp.structure import article_at, parse_sections
    for name, line in LINES.items():
        for kind in ("md", "txt"):
            raw = text.read(("# 标题\\n" + line + "\\n第二段\\n").encode(), kind)
            assert raw.blocks[-1].text == "第二段", (name, kind)
            paragraphs, pos = [], 0
            for block in raw.blocks:  # as nlp.document.assemble does, without parties and definitions
                body = normalize(block.text).strip()
                paragraphs.append(Paragraph(index=len(paragraphs), text=body, start=pos, end=pos + len(body)))
                pos += len(body) + 1
            sections = parse_sections(paragraphs, pos)
            for s in split_sentences(paragraphs):
                article_at(sections, s.start)
    print("ok")
''').format(root=str(ROOT), tests=str(ROOT / "tests"))


def test_adversarial_lines_are_read_in_linear_time():
    """Lines of 200-500 KB built against each pattern (a quadratic one took minutes on one line),
    through the text/Markdown reader, normalisation, the structure parser and the sentence splitter."""
    proc = subprocess.run([sys.executable, "-c", CPU_CHILD], capture_output=True, text=True, timeout=30, cwd=ROOT)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]


def test_markdown_inline_markup_still_resolves():
    from nlp.readers.text import _md_inline

    assert _md_inline("**甲方**应当 *及时* 通知，见[附件一](a.md)与![图](x.png)，`代码`，请勿删除\\*号") == \
        "甲方应当 及时 通知，见附件一与图，代码，请勿删除*号"
    assert _md_inline("## 标题 ##") == "## 标题" and _md_inline("**未闭合") == "**未闭合"


# --- limits answered at once --------------------------------------------------------------------------

def test_a_48_mb_text_file_is_refused_from_its_size():
    err = refused(b"a" * (48 * MB), "long.txt", TooManyCharacters, "too-many-characters", 413)
    assert "1,000,000" in err.message_zh and "12,582,912" in err.message_zh  # 4 bytes a character at most


def test_over_the_character_limit_by_count():
    data = ("甲方应当按期付款。\n" * 120_000).encode()  # 1.2 million characters in 3.6 MB
    err = refused(data, "long.txt", TooManyCharacters, "too-many-characters", 413)
    assert "1,200,000" in err.message_zh
    short = data[:28 * 1000]  # 1,000 lines
    assert nlp.read_document(short, "short.txt", Limits(max_characters=10_000)).text.startswith("甲方")


def test_too_many_paragraphs():
    err = refused("甲\n".encode() * 300_000, "lines.txt", TooComplex, "too-complex", 422)
    assert "200,000" in err.message_zh


def test_docx_text_is_counted_while_it_is_read():
    data = H.many_runs_docx(60_000)
    refused(data, "runs.docx", TooManyCharacters, "too-many-characters", 413, Limits(max_characters=40_000))


def test_100k_page_pdf_is_refused_from_its_page_count():
    err = refused(H.text_pdf(100_000), "pages.pdf", TooLarge, "too-large", 413)
    assert "100000页" in err.message_zh


def test_300_page_scan_is_refused_before_any_ocr(monkeypatch):
    def no_ocr(*args, **kwargs):
        raise AssertionError("OCR ran")

    monkeypatch.setattr(ocr, "ocr_pdf_pages", no_ocr)
    err = refused(H.image_pdf(300), "scan.pdf", TooManyOCRPages, "too-many-ocr-pages", 413)
    assert "200页" in err.message_zh and "300页" in err.message_zh


def test_huge_page_is_not_rendered_for_ocr(monkeypatch):
    monkeypatch.setattr(ocr, "ocr_pdf_pages", lambda *a, **k: pytest.fail("a 10^9-point page was rendered"))
    err = refused(H.image_pdf(1, b"[0 0 1000000000 1]"), "wide.pdf", TooComplex, "too-complex", 422)
    assert "页面尺寸异常" in err.message_zh


# --- PDF structure --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, error, code", [("kids-self", CorruptDocument, "corrupt"),
                                               ("kids-cycle", CorruptDocument, "corrupt"),
                                               ("root-self", EmptyDocument, "empty")])
def test_pdf_reference_loops(name, error, code):
    refused(H.loop_pdfs()[name], f"{name}.pdf", error, code, 400)


def test_pdf_self_referencing_length_still_reads():
    assert "Article 1" in nlp.read_document(H.loop_pdfs()["length-self"], "length.pdf").text


def test_encrypted_pdf_with_an_open_password():
    refused(H.encrypted_pdf("open-sesame"), "locked.pdf", EncryptedDocument, "encrypted", 400)


def test_encrypted_pdf_with_an_owner_password_only_is_read():
    """Permissions only (no password to open): every viewer shows the text, so it is reviewed."""
    assert "Article 1. The customer pays" in nlp.read_document(H.encrypted_pdf(""), "owner.pdf").text


@pytest.mark.parametrize("keep", [0.05, 0.5, 0.9])
def test_truncated_pdf(keep):
    data = H.text_pdf(1)
    err = refused(data[:int(len(data) * keep)], "cut.pdf", CorruptDocument, "corrupt", 400)
    assert "不完整" in err.message_zh


def test_private_use_text_layer_needs_ocr(monkeypatch):
    refused(H.private_use_pdf(), "pua.pdf", TooManyOCRPages, "too-many-ocr-pages", 413, Limits(max_ocr_pages=0))
    monkeypatch.setattr(ocr, "available", lambda: (False, "未安装Tesseract OCR"))
    err = refused(H.private_use_pdf(), "pua.pdf", MissingTool, "missing-tool", 400)
    assert "tesseract-ocr" in err.message_zh


def test_stream_check_leaves_ordinary_pdfs_alone():
    pdf_reader.check_streams(H.raw_pdf([H.stream(H.TEXT * 1000, compress=True)]))  # 90 KB inflated: fine
    with pytest.raises(TooComplex):
        pdf_reader.check_streams(H.flate_bomb_pdf(100))


# --- Word and OFD structure -----------------------------------------------------------------------------

def test_external_entity_is_refused_unread():
    err = refused(H.external_entity_docx(), "xxe.docx", CorruptDocument, "corrupt", 400)
    assert "DTD" in err.message_zh and "root:" not in str(err)


def test_nesting_beyond_256_levels():
    assert nlp.read_document(H.deep_docx(120), "deep.docx").text == "深"
    refused(H.deep_docx(300), "deeper.docx", TooComplex, "too-complex", 422)


def test_ofd_page_referenced_thousands_of_times_is_bounded(tmp_path):
    """Each read of a part counts against the archive's budget, repeats included."""
    pdflike = pytest.importorskip("fixturegen.pdflike")
    import zipfile

    src = zipfile.ZipFile(pdflike.make_ofd(tmp_path / "c.ofd"))
    parts = {n: src.read(n) for n in src.namelist()}
    doc_xml = next(n for n in parts if n.endswith("Document.xml"))
    page = next(n for n in parts if n.endswith("Content.xml"))
    parts[page] += b"<!--" + b" " * (2 * MB) + b"-->"  # 2 MB a read
    ref = page.split("/", 1)[1]
    pages = "".join(f'<ofd:Page ID="{i}" BaseLoc="{ref}"/>' for i in range(1, 1500))
    parts[doc_xml] = re.sub(rb"<ofd:Pages>.*</ofd:Pages>", f"<ofd:Pages>{pages}</ofd:Pages>".encode(),
                            parts[doc_xml], flags=re.S)
    err = refused(H.archive(parts), "many.ofd", TooLarge, "too-large", 413)
    assert "200 MB" in err.message_zh


def test_ofd_with_infinite_coordinates(tmp_path):
    pdflike = pytest.importorskip("fixturegen.pdflike")
    import zipfile

    src = zipfile.ZipFile(pdflike.make_ofd(tmp_path / "c.ofd"))
    parts = {n: src.read(n) for n in src.namelist()}
    page = next(n for n in parts if n.endswith("Content.xml"))
    parts[page] = re.sub(rb'DeltaX="[^"]*"', b'DeltaX="g 1e999 3"', parts[page], count=1)
    refused(H.archive(parts), "inf.ofd", CorruptDocument, "corrupt", 400)


def test_lying_member_is_caught_one_byte_past_its_declared_size():
    zf = SafeZip(H.lying_docx(8 * MB, declared=1000))
    with pytest.raises(CorruptDocument, match="larger than its zip header"):
        zf.read("word/document.xml")
    assert zf.inflated <= 1001


# --- everything else an upload can be -----------------------------------------------------------------

@pytest.mark.parametrize("data, name, error, code, status", [
    (b"", "zero.txt", EmptyDocument, "empty", 400),
    (b" \r\n\t\n", "blank.txt", EmptyDocument, "empty", 400),
    (bytes(range(256)) * 64, "random.docx", UnsupportedType, "unsupported-type", 415),
    (b"%PDF-1.7\n" + bytes(range(256)) * 64, "random.pdf", CorruptDocument, "corrupt", 400),
    (b"PK\x03\x04" + bytes(range(256)) * 64, "random.docx", CorruptDocument, "corrupt", 400),
], ids=["0-byte", "blank", "random", "pdf-header", "zip-header"])
def test_empty_and_random(data, name, error, code, status):
    refused(data, name, error, code, status)


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-16-le", "utf-16-be", "big5", "cp950"])
def test_encodings_read_as_the_same_text(encoding):
    source = H.TRADITIONAL if encoding in ("big5", "cp950") else H.SIMPLIFIED
    expected = nlp.read_document(H.SIMPLIFIED.encode(), "utf8.txt").text
    assert nlp.read_document(source.encode(encoding), f"{encoding}.txt").text == expected


# --- uploaded archives (service/batch/archive.py) -------------------------------------------------------

@pytest.mark.parametrize("member", ["../../etc/cron.d/x.txt", "/etc/passwd.txt", "C:\\Windows\\x.txt",
                                    "ok/../../x.txt"])
def test_archive_path_traversal(member):
    with pytest.raises(ArchiveRejected) as caught:
        read_archive(H.archive({"good.txt": H.SIMPLIFIED.encode(), member: b"x"}))
    assert caught.value.status == 400 and "不安全的路径" in caught.value.detail and caught.value.detail_en


def test_archive_symlink_member():
    import zipfile

    link = zipfile.ZipInfo("link.txt")
    link.external_attr = (0o120777 << 16)
    buf = __import__("io").BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("good.txt", H.SIMPLIFIED)
        z.writestr(link, "/etc/passwd")
    with pytest.raises(ArchiveRejected) as caught:
        read_archive(buf.getvalue())
    assert caught.value.status == 400


def test_archive_with_100k_members_is_refused_from_its_end_record(monkeypatch):
    import zipfile

    monkeypatch.setattr(zipfile, "ZipFile", lambda *a, **k: pytest.fail("the directory was parsed"))
    with pytest.raises(ArchiveRejected) as caught:
        read_archive(H.many_members_zip(100_000))
    assert caught.value.status == 413 and "条目过多" in caught.value.detail


def test_archive_member_that_lies_about_its_size():
    data = H.lying_docx(64 * MB, declared=1000)  # as a batch archive: three members, one lying
    with pytest.raises(ArchiveRejected) as caught:
        read_archive(data, ArchiveLimits(max_members=10))
    assert caught.value.status == 413 and "实际大小与声明不符" in caught.value.detail


def test_archive_rejection_survives_pickling():
    import pickle

    err = pickle.loads(pickle.dumps(ArchiveRejected(413, "过大", "too large")))
    assert (err.status, err.detail, err.detail_en) == (413, "过大", "too large")
