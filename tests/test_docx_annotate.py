"""The annotated Word draft (`check draft.docx --format docx`), its redline, and the Word memo.

The draft is built here with python-docx: Chinese contract wording with typed article headings, Word's
automatic list numbering, a bold run, full-width digits and another party's tracked insertion and
deletion. The output is re-read with python-docx and compared with the input; LibreOffice (headless)
opens it and keeps the comments and insertions.
"""
from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Pt

from nlp.normalize import normalize
from service.cli import main
from service.docx_annotate import AUTHOR, AnnotateError, annotate_docx
from service.pipeline import review_bytes
from service.report import render_docx

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "fixtures" / "sample" / "base_contract.txt"
PROFILE = "party-gov-cloud"
W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
HOSTING = "乙方的数据中心原则上设在中华人民共和国境内。"  # a sentence in the middle of a numbered item


def build_draft() -> bytes:
    d = Document()
    d.add_paragraph("某市政务云服务合同", style="Title")
    d.add_paragraph("甲方（采购人）：某市大数据管理局")
    d.add_paragraph("乙方（服务商）：某云计算股份有限公司")
    d.add_paragraph("第一条 服务内容")
    d.add_paragraph("乙方向甲方提供云主机、对象存储和网络安全防护服务，服务期三年。")
    d.add_paragraph("第二条 数据安全")
    p = d.add_paragraph(style="List Number")
    p.add_run("甲方数据")
    p.add_run("归甲方所有").bold = True
    p.add_run("，乙方不得擅自访问、使用、修改、披露甲方数据。")
    p = d.add_paragraph(style="List Number")
    p.add_run("乙方负责云平台的日常运维，")
    p.add_run("保障服务连续可用。" + HOSTING + "乙方应定期备份。").font.size = Pt(11)
    d.add_paragraph("乙方有权将甲方数据用于改进自身产品和服务。", style="List Number")
    d.add_paragraph("第三条 合同终止")
    p = d.add_paragraph("合同终止后，乙方应配合甲方完成数据迁移，并在３０日内删除甲方数据")
    p._p.append(parse_xml(f'<w:ins {nsdecls("w")} w:id="901" w:author="乙方律师" w:date="2024-05-01T00:00:00Z">'
                          "<w:r><w:t>及其备份</w:t></w:r></w:ins>"))
    p._p.append(parse_xml(f'<w:del {nsdecls("w")} w:id="902" w:author="乙方律师" w:date="2024-05-01T00:00:00Z">'
                          "<w:r><w:delText>和日志</w:delText></w:r></w:del>"))
    p.add_run("。")
    d.add_paragraph("（以下无正文）")
    d.add_paragraph("甲方（盖章）：　　　　乙方（盖章）：")
    d.add_paragraph("附件一 服务清单")
    table = d.add_table(rows=2, cols=3)
    for row, values in zip(table.rows, (("服务项目", "数量", "单位"), ("云主机", "20", "台"))):
        for cell, v in zip(row.cells, values):
            cell.text = v
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def draft() -> bytes:
    return build_draft()


@pytest.fixture(scope="module")
def review(draft) -> dict:
    return review_bytes(draft, "draft.docx", PROFILE)


@pytest.fixture(scope="module")
def annotated(draft, review) -> bytes:
    return annotate_docx(draft, review)


@pytest.fixture(scope="module")
def redlined(draft, review) -> bytes:
    return annotate_docx(draft, review, redline=True)


# --- reading the output back -------------------------------------------------------------------------

def _w(tag: str) -> str:
    return f"{{{W_NS}}}{tag}"


def _in_deletion(el) -> bool:
    return any(a.tag in (_w("del"), _w("moveFrom")) for a in el.iterancestors())


def _ours(el) -> bool:
    """A paragraph clausecheck inserted (its mark is a tracked insertion by clausecheck)."""
    return any(i.get(qn("w:author")) == AUTHOR for i in el.findall(f"{_w('pPr')}/{_w('rPr')}/{_w('ins')}"))


def _paragraph_facts(data: bytes, skip_ours: bool = False) -> list[dict]:
    """Per body paragraph: its pPr, visible text, deleted text, each character with its run formatting,
    and the other party's tracked changes."""
    body = Document(io.BytesIO(data)).element.body
    out = []
    for p in body.iter(_w("p")):
        if skip_ours and _ours(p):
            continue
        chars, deleted = [], ""
        for r in p.iter(_w("r")):
            rpr = r.find(_w("rPr"))
            fmt = rpr.xml if rpr is not None else ""
            for t in r.findall(_w("t")):
                if not _in_deletion(t):
                    chars += [(c, fmt) for c in t.text or ""]
            deleted += "".join(t.text or "" for t in r.findall(_w("delText")))
        ppr = p.find(_w("pPr"))
        changes = [(c.tag, c.get(qn("w:author")), c.get(qn("w:date")), "".join(c.itertext()))
                   for c in p.iter(_w("ins"), _w("del")) if c.get(qn("w:author")) != AUTHOR]
        out.append({"ppr": ppr.xml if ppr is not None else "", "text": "".join(c for c, _ in chars),
                    "chars": chars, "deleted": deleted, "changes": changes})
    return out


def _comments(data: bytes) -> dict[int, tuple[object, str]]:
    """comment id -> (python-docx Comment, the draft text its range covers)."""
    document = Document(io.BytesIO(data))
    covered: dict[int, str] = {}
    open_ids: set[int] = set()
    for el in document.element.body.iter():
        if el.tag == _w("commentRangeStart"):
            open_ids.add(int(el.get(qn("w:id"))))
        elif el.tag == _w("commentRangeEnd"):
            open_ids.discard(int(el.get(qn("w:id"))))
        elif el.tag == _w("t") and not _in_deletion(el):
            for cid in open_ids:
                covered[cid] = covered.get(cid, "") + (el.text or "")
    return {c.comment_id: (c, covered.get(c.comment_id, "")) for c in document.comments}


def _part(data: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read(name)


def _without_label(text: str) -> str:
    return re.sub(r"^\S{1,12} ", "", text)


# --- the annotated draft ------------------------------------------------------------------------------

def test_review_of_the_draft_has_what_the_tests_rely_on(review):
    status = {f["requirement"]: f["status"] for f in review["findings"]}
    assert status["domestic-hosting"] == "weak"
    assert status["no-unauthorized-use"] == "conflicting"
    assert "missing" in status.values()


def test_comments_on_every_weak_and_conflicting_passage(review, annotated):
    comments = _comments(annotated)
    assert comments and all(c.author == AUTHOR and c.initials == "CC" for c, _ in comments.values())
    by_head = [(c.paragraphs[0].text, c.text, covered) for c, covered in comments.values()]
    for f in review["findings"]:
        if f["status"] not in ("weak", "conflicting"):
            continue
        for ev in f["evidence"]:
            mine = [(text, covered) for head, text, covered in by_head
                    if f["title"] in head and "本段作用：" in text and (ev["location"]["article"] or "") in text]
            assert mine, f"no comment for {f['requirement']} at {ev['location']['article']}"
            expected = {ev["text"], _without_label(ev["text"])}
            assert any(normalize(covered) in expected for _, covered in mine)
            text = mine[0][0]
            assert {"薄弱": "weak", "冲突": "conflicting"}[re.search(r"【(..)】", text).group(1)] == f["status"]
            assert {"支持", "削弱", "冲突"} & set(re.findall(r"本段作用：(..)", text))
            assert "理由：" in text and "政策依据：" in text and "建议措辞：" in text


def test_comment_covers_exactly_a_sentence_inside_a_run(annotated):
    covered = [c for _, c in _comments(annotated).values()]
    assert HOSTING in covered  # neither the sentence before nor the one after it in the same run
    assert "合同终止后，乙方应配合甲方完成数据迁移，并在３０日内删除甲方数据及其备份。" in covered  # full-width digits


def test_summary_comment_on_the_first_paragraph(review, annotated):
    comments = _comments(annotated)
    summary = [c for c, covered in comments.values() if covered == "某市政务云服务合同"]
    assert len(summary) == 1
    text = summary[0].text
    assert "结论：不通过" in text or "结论：需修改" in text
    for f in review["findings"]:
        if f["status"] == "missing":
            assert f["title"] in text and f["suggestion"] in text
            assert f["requirement"] not in text.split("审查工具")[0]  # titles, not ids
    assert review["rules_version"] in text


def test_draft_text_formatting_numbering_and_tracked_changes_unchanged(draft, annotated):
    before, after = _paragraph_facts(draft), _paragraph_facts(annotated)
    assert len(before) == len(after)
    for b, a in zip(before, after):
        assert a == b
    old, new = Document(io.BytesIO(draft)), Document(io.BytesIO(annotated))
    assert [p.text for p in old.paragraphs] == [p.text for p in new.paragraphs]
    assert [p.style.name for p in old.paragraphs] == [p.style.name for p in new.paragraphs]
    for part in ("word/numbering.xml", "word/styles.xml", "word/settings.xml", "docProps/core.xml"):
        assert _part(draft, part) == _part(annotated, part)
    # what nlp reads is the same text: the review of the output is the review of the input
    assert review_bytes(annotated, "draft.docx", PROFILE)["findings"] == review_bytes(draft, "draft.docx",
                                                                                      PROFILE)["findings"]


def test_wrong_file_or_not_a_docx_is_refused(draft, review):
    with pytest.raises(AnnotateError):
        annotate_docx(draft + b"x", review)  # not the bytes that were reviewed
    other = dict(review, document=dict(review["document"], sha256=None))
    with pytest.raises(AnnotateError):
        annotate_docx(b"not a zip at all", other)


def test_word_numbered_draft_with_revisions_hidden_text_and_a_comment(contract_docx):
    """The generated Word-like contract: labels only in numbering.xml, tracked changes, a deleted paragraph
    mark, hidden text, a table of contents and the other side's comment."""
    from fixturegen.wordlike import COMMENT_TEXT

    data = contract_docx.read_bytes()
    review = review_bytes(data, "wordlike.docx")
    out = annotate_docx(data, review)
    comments = _comments(out)
    theirs = [c for c, _ in comments.values() if c.author != AUTHOR]
    assert len(theirs) == 1 and COMMENT_TEXT in theirs[0].text
    covered = {normalize(t) for c, t in comments.values() if c.author == AUTHOR}
    for f in review["findings"]:
        for ev in f["evidence"] if f["status"] in ("weak", "conflicting") else []:
            assert covered & {ev["text"], _without_label(ev["text"])}, f["requirement"]
    assert _paragraph_facts(out) == _paragraph_facts(data)
    assert _part(out, "word/numbering.xml") == _part(data, "word/numbering.xml")


# --- redline ------------------------------------------------------------------------------------------

def test_redline_inserts_suggestions_as_tracked_changes(draft, review, redlined):
    body = Document(io.BytesIO(redlined)).element.body
    ours = [p for p in body.iter(_w("p")) if _ours(p)]
    wanted = [f for f in review["findings"] if f["status"] in ("missing", "weak") and f.get("suggestion")]
    assert len(ours) == len(wanted)
    texts = []
    for p in ours:
        ins = p.findall(_w("ins"))
        assert ins and all(i.get(qn("w:author")) == AUTHOR and i.get(qn("w:date")) for i in ins)
        assert not p.findall(f"{_w('pPr')}/{_w('numPr')}")  # the draft's numbering does not move
        texts.append("".join(t.text for i in ins for t in i.iter(_w("t"))))
    assert sorted(texts) == sorted(f["suggestion"] for f in wanted)
    ids = [el.get(qn("w:id")) for el in body.iter(_w("ins"), _w("del"))]
    assert len(ids) == len(set(ids))
    # the draft's own paragraphs are all still there, unchanged
    assert _paragraph_facts(redlined, skip_ours=True) == _paragraph_facts(draft)

    paragraphs = list(body.iter(_w("p")))
    texts_in_order = ["".join(t.text or "" for t in p.iter(_w("t"))) for p in paragraphs]
    hosting = next(f for f in wanted if f["requirement"] == "domestic-hosting")
    at = texts_in_order.index(hosting["suggestion"])
    # after article 2's last item, before article 3
    assert texts_in_order[:at].count("第三条 合同终止") == 0
    assert any("乙方有权将甲方数据" in t for t in texts_in_order[:at])
    # suggestions without a passage go after the last article, above the signature block
    missing = next(f for f in wanted if not f["evidence"] and not f.get("nearest"))
    assert texts_in_order.index(missing["suggestion"]) < texts_in_order.index("（以下无正文）")
    assert texts_in_order.index(missing["suggestion"]) > texts_in_order.index("第三条 合同终止")


# --- LibreOffice --------------------------------------------------------------------------------------

@pytest.mark.skipif(not shutil.which("soffice"), reason="LibreOffice (soffice) is not installed")
def test_libreoffice_opens_it_with_comments_and_insertions(redlined, tmp_path):
    src = tmp_path / "reviewed.docx"
    src.write_bytes(redlined)
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(["soffice", f"-env:UserInstallation={profile}", "--headless", "--norestore",
                    "--convert-to", "odt", "--outdir", str(tmp_path), str(src)],
                   check=True, capture_output=True, timeout=120)
    content = zipfile.ZipFile(tmp_path / "reviewed.odt").read("content.xml").decode("utf-8")
    comments = _comments(redlined)
    assert content.count("<office:annotation ") + content.count("<office:annotation>") == len(comments)
    assert content.count("<office:annotation-end") == len(comments)
    assert "<dc:creator>clausecheck</dc:creator>" in content
    assert "建议措辞：" in content
    insertions = re.findall(r"<text:insertion>.*?</text:insertion>", content, re.S)
    assert sum("<dc:creator>clausecheck</dc:creator>" in i for i in insertions) >= 1
    assert any("乙方律师" in i for i in insertions)  # the other party's edits are still tracked


# --- CLI ----------------------------------------------------------------------------------------------

def test_cli_annotates_a_docx_draft(draft, tmp_path):
    src = tmp_path / "draft.docx"
    src.write_bytes(draft)
    out = tmp_path / "reviewed.docx"
    assert main(["check", str(src), "--profile", PROFILE, "--format", "docx", "-o", str(out)]) == 1
    assert len(_comments(out.read_bytes())) > 3
    assert _paragraph_facts(out.read_bytes()) == _paragraph_facts(draft)
    red = tmp_path / "redline.docx"
    assert main(["check", str(src), "--profile", PROFILE, "--format", "docx", "--redline", "-o", str(red)]) == 1
    assert any(_ours(p) for p in Document(str(red)).element.body.iter(_w("p")))


def test_cli_redline_needs_docx_format(tmp_path, capsys):
    assert main(["check", str(SAMPLE), "--format", "md", "--redline"]) == 2
    assert "--redline" in capsys.readouterr().err


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_cli_refuses_binary_docx_on_a_terminal(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdout", _Terminal())
    assert main(["check", str(SAMPLE), "--format", "docx"]) == 2
    err = capsys.readouterr().err
    assert "终端" in err and "-o" in err and "terminal" in err


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_cli_refuses_binary_docx_on_a_real_pty(tmp_path):
    import pty

    master, slave = pty.openpty()
    try:
        proc = subprocess.run([sys.executable, "-c", "import sys; from service.cli import main; "
                               "sys.exit(main(sys.argv[1:]))", "check", str(SAMPLE), "--format", "docx"],
                              stdout=slave, stderr=subprocess.PIPE, cwd=ROOT, timeout=60,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    finally:
        os.close(slave)
        os.close(master)
    assert proc.returncode == 2
    assert "terminal" in proc.stderr.decode("utf-8")


# --- the memo (non-.docx input) -----------------------------------------------------------------------

def test_memo_for_text_input(tmp_path):
    out = tmp_path / "memo.docx"
    assert main(["check", str(SAMPLE), "--format", "docx", "-o", str(out)]) in (0, 1)
    review = review_bytes(SAMPLE.read_bytes(), SAMPLE.name)
    memo = Document(str(out))
    assert memo.core_properties.author == "clausecheck"
    assert memo.core_properties.last_modified_by == "clausecheck"
    paragraphs = [(p.style.name, p.text, p) for p in memo.paragraphs]
    text = "\n".join(t for _, t, _ in paragraphs)
    assert review["rules_version"] in text and "审查日期：" in text and "严重程度：" in text
    assert review["profile_title"] in text and "政策依据：" in text
    quotes = [t for style, t, _ in paragraphs if style == "Intense Quote"]
    assert quotes and all(re.match(r"(最接近的条文（)?(支持|削弱|冲突)", q) for q in quotes)
    assert any("第三条" in q for q in quotes)
    headings = [t for style, t, _ in paragraphs if style == "Heading 2"]
    small = {r.text: r.font.size for _, _, p in paragraphs for r in p.runs}
    for f in review["findings"]:
        heading = next(h for h in headings if f["title"] in h)
        assert f["requirement"] not in heading  # the id is small print below it
        assert small.get(f["requirement"]) == Pt(8)
    assert render_docx(review)[:2] == b"PK"  # still importable from service.report
