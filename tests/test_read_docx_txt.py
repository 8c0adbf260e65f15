"""Word, text and hostile inputs: every readable variant of the base contract reads back to the base
text; every hostile input fails fast with the right error and a message in both languages."""
from __future__ import annotations

import re
import struct
import subprocess
import time
import zipfile

import pytest

from nlp import read_document
from nlp.errors import CorruptDocument, EmptyDocument, EncryptedDocument, MissingTool, TooLarge, UnsupportedType
from nlp.normalize import normalize
from nlp.readers import docx as docx_reader
from nlp.readers import office
from nlp.readers.sniff import explain, ole_streams, sniff

from fixturegen import BASE_CONTRACT, wordlike

ARTICLE = re.compile(r"^第[一二三四五六七八九十百零]+条")


def _read(path):
    return read_document(path.read_bytes(), path.name)


def _articles(doc) -> list[str]:
    return [p.text for p in doc.paragraphs if ARTICLE.match(p.text)]


def _same_as_base(doc, base) -> None:
    assert [p.text for p in doc.paragraphs] == [p.text for p in base.paragraphs]
    assert _articles(doc) == _articles(base)
    assert [s.text for s in doc.sentences] == [s.text for s in base.sentences]
    assert [s.article for s in doc.sentences] == [s.article for s in base.sentences]


@pytest.fixture(scope="module")
def base():
    doc = _read(BASE_CONTRACT)
    assert len(_articles(doc)) == 6
    return doc


@pytest.fixture(scope="module")
def variants(tmp_path_factory):
    return wordlike.text_variants(tmp_path_factory.mktemp("text"))


@pytest.fixture(scope="module")
def hostile_files(tmp_path_factory, contract_docx):
    return wordlike.hostile(tmp_path_factory.mktemp("hostile"), contract_docx)


# --- .docx ----------------------------------------------------------------------------------------

def test_docx_reads_like_the_base_text(base, contract_docx):
    doc = _read(contract_docx)
    assert doc.format == "docx"
    _same_as_base(doc, base)
    assert [p.kind for p in doc.paragraphs][-3:] == ["table_row"] * 3


def test_docx_labels_are_rebuilt_from_word_numbering(contract_docx):
    raw = docx_reader.read(contract_docx.read_bytes())
    assert [b.label for b in raw.blocks if b.label] == [
        "第一章", "第一条", "1.", "2.", "第二条", "第二章", "第三条", "1.", "2.", "3.", "第四条", "1.", "2.",
        "第五条", "第三章", "第六条", "1.", "2."]
    with zipfile.ZipFile(contract_docx) as zf:  # the labels exist only as numbering definitions
        body = zf.read("word/document.xml").decode()
        numbering = zf.read("word/numbering.xml").decode()
    assert "第一条" not in body and "第%1条" in numbering


def test_docx_reads_tracked_changes_as_accepted_and_skips_what_is_not_body(contract_docx):
    doc = _read(contract_docx)
    assert "提供云主机、存储和安全服务" in doc.text
    # one item split over two paragraphs, the first mark deleted: one paragraph, numbered once
    assert "2. 乙方应遵守国家网络安全政策规定，按照网络安全等级保护第三级要求" in doc.text
    assert "3. 丙方负责对乙方履行本协议的情况进行监督检查。" in doc.text
    absent = [wordlike.HEADER_TEXT, wordlike.FOOTER_TEXT, wordlike.COMMENT_TEXT, wordlike.HIDDEN_TEXT,
              wordlike.DELETED_TEXT, wordlike.TOC_TEXT]
    for text in absent:
        assert text not in doc.text
    with zipfile.ZipFile(contract_docx) as zf:  # ...though every one of them is in the file
        everything = "".join(zf.read(n).decode("utf-8", "ignore") for n in zf.namelist() if n.endswith(".xml"))
    assert all(text in everything for text in absent)
    assert any("修订" in w for w in doc.warnings)


def test_docx_pages_follow_page_breaks(contract_docx):
    doc = _read(contract_docx)
    page = {p.text: p.page for p in doc.paragraphs}
    assert doc.pages == 3
    assert page["第一条 定义"] == 1 and page["第三条 安全责任"] == 2 and page["第六条 协议终止"] == 3


def test_numbering_formats(tmp_path):
    path, expected = wordlike.numbering_formats_docx(tmp_path / "formats.docx")
    assert [b.label for b in docx_reader.read(path.read_bytes()).blocks] == expected


def test_docx_odd_structures(tmp_path):
    path, expected = wordlike.odd_structures_docx(tmp_path / "odd.docx")
    raw = docx_reader.read(path.read_bytes())
    assert [(b.text, b.kind, b.page) for b in raw.blocks] == expected
    assert raw.pages == 2


# --- text encodings ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["gbk.txt", "utf16-bom.txt", "utf16le-nobom.txt", "utf16be-nobom.txt",
                                  "utf8-bom.txt", "traditional.txt", "traditional-gb18030.txt", "contract.md"])
def test_text_variants_read_like_the_base_text(base, variants, name):
    data = variants[name].read_bytes()
    assert sniff(data) == ("md" if name.endswith(".md") else "txt")
    _same_as_base(read_document(data, name), base)


def test_form_feeds_give_pages():
    doc = read_document("第一条 定义\n甲方应当保密。\f第二条 期限\n本协议有效期三年。\n".encode(), "x.txt")
    assert doc.pages == 2 and [p.page for p in doc.paragraphs] == [1, 1, 2, 2]


def test_normalize():
    assert normalize("ＡＢＣ１２３　ｘ") == "ABC123 x"
    assert normalize("「檔案數據」﹐３０％") == "“档案数据”，30%"
    assert normalize("数\u200b据\ufeff") == "数据"
    assert normalize("第⼀条（一）；：。") == "第一条（一）；：。"  # Kangxi radical one; Chinese punctuation kept
    assert normalize("服务项目｜数量") == "服务项目｜数量"
    assert normalize("a–b—c") == "a-b—c"


def test_normalize_is_fast(base):
    sixty_pages = ("\n".join(p.text for p in base.paragraphs) + "\n") * 75  # ~48,000 characters
    from opencc import OpenCC

    traditional = OpenCC("s2t").convert(sixty_pages)
    normalize("预热")
    start = time.perf_counter()
    for line in traditional.split("\n"):
        normalize(line)
    assert time.perf_counter() - start < 1.0  # typically ~0.01 s with the OpenCC bindings


# --- hostile inputs -------------------------------------------------------------------------------

HOSTILE = {
    "empty.txt": EmptyDocument,
    "blank.txt": EmptyDocument,
    "truncated.docx": CorruptDocument,
    "bad-xml.docx": CorruptDocument,
    "random.docx": UnsupportedType,
    "image.png": UnsupportedType,
    "not-word.docx": UnsupportedType,
    "ole-garbage.doc": UnsupportedType,
    "zip-bomb.docx": CorruptDocument,
    "declares-too-much.docx": TooLarge,
    "encrypted.docx": EncryptedDocument,
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_input_fails_fast_with_a_clear_error(hostile_files, name):
    if name not in hostile_files:
        pytest.skip("msoffcrypto-tool is not installed (pip install -e .[test])")
    data = hostile_files[name].read_bytes()
    start = time.perf_counter()
    with pytest.raises(HOSTILE[name]) as caught:
        read_document(data, name)
    assert time.perf_counter() - start < 5
    assert caught.value.message_zh.strip() and caught.value.message_en.strip()


@pytest.mark.parametrize("name, kind, words", [("image.png", "image", "图片"), ("random.docx", "binary", "二进制"),
                                               ("not-word.docx", "xlsx", "Excel")])
def test_unsupported_kinds_are_named(hostile_files, name, kind, words):
    assert sniff(hostile_files[name].read_bytes()) == kind
    zh, en = explain(kind)
    assert words in zh and en


def test_bombs_are_refused_before_inflating(hostile_files):
    with pytest.raises(CorruptDocument, match="zip bomb"):
        docx_reader.read(hostile_files["zip-bomb.docx"].read_bytes())
    with pytest.raises(TooLarge):
        sniff(hostile_files["declares-too-much.docx"].read_bytes())


# --- .doc through LibreOffice ---------------------------------------------------------------------

def test_doc_without_libreoffice_names_the_package(monkeypatch, contract_docx):
    monkeypatch.setenv("CLAUSECHECK_SOFFICE", "/nonexistent/soffice")
    with pytest.raises(MissingTool) as caught:
        office.read(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "doc")
    assert "libreoffice-writer" in caught.value.message_zh and "libreoffice-writer" in caught.value.message_en


@pytest.fixture(scope="module")
def contract_doc(tmp_path_factory):
    soffice = office.find_soffice()
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui")
    out = tmp_path_factory.mktemp("doc")
    source = wordlike.contract_docx(out / "contract.docx", restart_by_override=False)
    profile = (out / "profile").as_uri()
    subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation={profile}",
                    "--convert-to", "doc:MS Word 97", "--outdir", str(out / "doc"), str(source)],
                   check=True, timeout=120, capture_output=True)
    return out / "doc" / "contract.doc"
    return out / "contract.doc"


def test_doc_reads_like_the_base_text(base, contract_doc):
    data = contract_doc.read_bytes()
    assert sniff(data) == "doc"
    doc = read_document(data, contract_doc.name)
    assert doc.format == "doc"
    _same_as_base(doc, base)


def test_password_protected_doc_is_refused_before_conversion(contract_doc):
    data = bytearray(contract_doc.read_bytes())
    start, size = ole_streams(bytes(data))["WordDocument"]
    assert size >= 4096
    sector = 1 << struct.unpack_from("<H", data, 0x1E)[0]
    data[(start + 1) * sector + 0x0B] |= 0x01  # FIB flags word at 0x0A: fEncrypted is bit 8
    with pytest.raises(EncryptedDocument):
        read_document(bytes(data), "protected.doc")
