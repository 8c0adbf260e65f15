"""Word-like and text fixtures generated from fixtures/sample/base_contract.txt.

The .docx carries its article and item labels in real Word automatic numbering (numbering.xml), not in
the text runs, plus the things a reader must see past: tracked changes, a deleted paragraph mark, a
comment, hidden text, a header and footer, a table of contents, soft line breaks and page breaks.
Read and normalised, every variant must give back the base text line for line.
"""
from __future__ import annotations

import io
import random
import re
import struct
import zipfile
import zlib
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_BREAK
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from . import base_lines, zip_of

MB = 1024 * 1024
_CN = "一二三四五六七八九十百零"
CHAPTER = re.compile(rf"^第[{_CN}]+章\s*(.*)$")
ARTICLE = re.compile(rf"^第[{_CN}]+条\s*(.*)$")
ITEM = re.compile(r"^\d+\.\s*(.*)$")
ROW = "｜"
_W = nsdecls("w")
_REV = 'w:author="审阅人" w:date="2024-05-01T09:00:00Z"'

# Text that must never reach the body of the document read back
HEADER_TEXT = "海棠市档案馆内部资料注意保密"
FOOTER_TEXT = "合同审查稿页脚"
COMMENT_TEXT = "法务意见此条需要复核"
HIDDEN_TEXT = "隐藏的内部备注"
DELETED_TEXT = "网络带宽、"
TOC_TEXT = "目录条目不应出现"

DOCX_CT = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/'
           b'2006/content-types"><Override PartName="/word/document.xml" ContentType="application/vnd.'
           b'openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>')


class _Lists:
    """Writes abstractNum/num definitions into python-docx's numbering part."""

    def __init__(self, doc):
        self.el = doc.part.numbering_part.element
        self.next_id = 900

    def abstract(self, aid: int, levels: list[tuple[int, str, str, int, str]]) -> None:
        lvls = "".join(
            f'<w:lvl w:ilvl="{i}"><w:start w:val="{start}"/><w:numFmt w:val="{fmt}"/>{extra}'
            f'<w:lvlText w:val="{text}"/><w:lvlJc w:val="left"/></w:lvl>'
            for i, fmt, text, start, extra in levels)
        node = parse_xml(f'<w:abstractNum {_W} w:abstractNumId="{aid}">'
                         f'<w:multiLevelType w:val="multilevel"/>{lvls}</w:abstractNum>')
        first_num = self.el.find("{%s}num" % self.el.nsmap["w"])
        if first_num is None:  # schema order: every abstractNum before the first num
            self.el.append(node)
        else:
            first_num.addprevious(node)

    def num(self, aid: int, restart: bool = False) -> int:
        self.next_id += 1
        override = '<w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride>' if restart else ""
        self.el.append(parse_xml(f'<w:num {_W} w:numId="{self.next_id}"><w:abstractNumId w:val="{aid}"/>'
                                 f'{override}</w:num>'))
        return self.next_id


def _number(paragraph_or_style_element, num_id: int, ilvl: int | None = None) -> None:
    num_pr = paragraph_or_style_element.get_or_add_pPr().get_or_add_numPr()
    if ilvl is not None:
        num_pr.get_or_add_ilvl().val = ilvl
    num_pr.get_or_add_numId().val = num_id


def contract_docx(path: Path, repeat: int = 1, restart_by_override: bool = True) -> Path:
    """The base contract as Word would save it. `repeat` > 1 repeats its chapters (for benchmarks);
    articles then number on (第七条…) and only the first copy carries the review marks.

    Items restart at 1 in each article the way Word does it, through a new list instance with a
    startOverride on a shared definition; LibreOffice's .doc export loses that, so the .doc test asks
    for `restart_by_override=False`: a definition of its own per article."""
    lines = base_lines()
    first_chapter = next(i for i, ln in enumerate(lines) if CHAPTER.match(ln))
    annex = next(i for i, ln in enumerate(lines) if ln.startswith("附件"))
    head, body, tail = lines[:first_chapter], lines[first_chapter:annex], lines[annex:]

    doc = Document()
    lists = _Lists(doc)
    article_style = doc.styles.add_style("Clause Article", WD_STYLE_TYPE.PARAGRAPH)
    # Articles are numbered through their paragraph style, as Word does when a list level is linked to a
    # style; chapters have a list of their own, items a new list instance per article.
    lists.abstract(900, [(0, "chineseCountingThousand", "第%1条", 1, f'<w:pStyle w:val="{article_style.style_id}"/>')])
    lists.abstract(901, [(0, "decimal", "%1.", 1, "")])
    lists.abstract(902, [(0, "chineseCounting", "第%1章", 1, "")])
    articles, chapters = lists.num(900), lists.num(902)
    _number(article_style.element, articles, 0)

    section = doc.sections[0]
    section.header.paragraphs[0].text = HEADER_TEXT
    section.footer.paragraphs[0].text = FOOTER_TEXT
    toc_style = doc.styles.add_style("toc 1", WD_STYLE_TYPE.PARAGRAPH)
    doc.add_paragraph(f"{TOC_TEXT} 第一章 总则 1", style=toc_style)

    doc.add_paragraph(head[0])
    parties = doc.add_paragraph()
    for i, line in enumerate(head[1:]):
        run = parties.add_run(line)
        if i < len(head) - 2:
            run.add_break()  # soft line breaks: one Word paragraph, three lines on the page

    placed = set()
    for copy in range(repeat):
        marks = copy == 0
        item_num = None
        for line in body:
            if m := CHAPTER.match(line):
                p = doc.add_paragraph()
                if marks and line.startswith("第三章"):
                    p.add_run().add_break(WD_BREAK.PAGE)
                elif marks and line.startswith("第二章"):
                    p.paragraph_format.page_break_before = True
                p.add_run(m.group(1))
                _number(p._p, chapters, 0)
            elif m := ARTICLE.match(line):
                doc.add_paragraph(m.group(1), style=article_style)
                item_num = None
            elif m := ITEM.match(line):
                if item_num is None and restart_by_override:
                    item_num = lists.num(901, restart=True)
                elif item_num is None:
                    own = 2000 + lists.next_id  # a fresh abstractNum id per article
                    lists.abstract(own, [(0, "decimal", "%1.", 1, "")])
                    item_num = lists.num(own)
                text = m.group(1)
                if marks and text.startswith("乙方应遵守国家网络安全政策规定，"):
                    _split_with_deleted_mark(doc, text, "乙方应遵守国家网络安全政策规定，", item_num)
                    placed.add("deleted-mark")
                    continue
                p = doc.add_paragraph()
                _number(p._p, item_num, 0)
                if marks and text.startswith("档案数据归甲方所有"):
                    doc.add_comment(p.add_run(text), text=COMMENT_TEXT, author="法务")
                    placed.add("comment")
                else:
                    p.add_run(text)
            elif marks and "云主机、存储和安全服务" in line:
                _tracked_paragraph(doc, line)
                placed.add("tracked")
            else:
                p = doc.add_paragraph(line)
                if marks and line.startswith("乙方为甲方提供服务的云计算平台"):
                    hidden = p.add_run(HIDDEN_TEXT)
                    hidden.font.hidden = True
                    placed.add("hidden")

    doc.add_paragraph(tail[0])
    rows = [ln.split(ROW) for ln in tail[1:] if ROW in ln]
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            table.cell(r, c).text = text
    missing = {"deleted-mark", "comment", "tracked", "hidden"} - placed
    if missing:
        raise AssertionError(f"base_contract.txt changed: fixture marks not placed: {sorted(missing)}")
    doc.save(path)
    return path


def _tracked_paragraph(doc, line: str) -> None:
    """The line with "存储和" as a tracked insertion and an extra phrase as a tracked deletion."""
    before, after = line.split("存储和", 1)
    p = doc.add_paragraph()
    p.add_run(before)
    p._p.append(parse_xml(f'<w:del {_W} w:id="101" {_REV}><w:r><w:delText>{DELETED_TEXT}</w:delText></w:r></w:del>'))
    p._p.append(parse_xml(f'<w:ins {_W} w:id="102" {_REV}><w:r><w:t>存储和</w:t></w:r></w:ins>'))
    p.add_run(after)


def _split_with_deleted_mark(doc, text: str, first: str, num_id: int) -> None:
    """One item typed as two numbered paragraphs, the first one's mark deleted with tracking on: read as
    accepted it is one paragraph with one number."""
    a = doc.add_paragraph()
    _number(a._p, num_id, 0)
    a._p.pPr.append(parse_xml(f'<w:rPr {_W}><w:del w:id="103" {_REV}/></w:rPr>'))
    a.add_run(first)
    b = doc.add_paragraph()
    _number(b._p, num_id, 0)
    b.add_run(text[len(first):])


def numbering_formats_docx(path: Path) -> tuple[Path, list[str | None]]:
    """Paragraphs numbered with assorted Chinese legal formats; returns the labels Word would show."""
    doc = Document()
    lists = _Lists(doc)
    lists.abstract(910, [
        (0, "chineseCounting", "第%1章", 1, ""),
        (1, "decimal", "%1.%2", 1, "<w:isLgl/>"),
        (2, "chineseCounting", "（%3）", 1, ""),
        (3, "decimalEnclosedCircle", "%4", 1, ""),
        (4, "bullet", "\u2022", 1, ""),
        (5, "ideographTraditional", "%6、", 1, ""),
    ])
    lists.abstract(911, [(0, "chineseCountingThousand", "%1、", 10, "")])
    # chapters and articles in one list: articles run on across chapters (lvlRestart 0), and the
    # article style carries only the numId, its level being found through the lvl's pStyle
    article = doc.styles.add_style("Numbered Article", WD_STYLE_TYPE.PARAGRAPH)
    lists.abstract(912, [(0, "chineseCounting", "第%1章", 1, ""),
                         (1, "chineseCountingThousand", "第%2条", 1,
                          f'<w:lvlRestart w:val="0"/><w:pStyle w:val="{article.style_id}"/>')])
    multi, tens, legal = lists.num(910), lists.num(911), lists.num(912)
    _number(article.element, legal)
    plan = [(multi, 0, "第一章"), (multi, 1, "1.1"), (multi, 1, "1.2"), (multi, 2, "（一）"), (multi, 2, "（二）"),
            (multi, 3, "①"), (multi, 3, "②"), (multi, 4, None), (multi, 5, "甲、"), (multi, 5, "乙、"),
            (multi, 1, "1.3"), (multi, 2, "（一）"), (multi, 0, "第二章"), (multi, 1, "2.1"),
            (tens, 0, "十、"), (tens, 0, "十一、"), (tens, 0, "十二、"),
            (legal, 0, "第一章"), (article, None, "第一条"), (article, None, "第二条"), (legal, 0, "第二章"),
            (article, None, "第三条")]
    for i, (num, lvl, _) in enumerate(plan):
        if num is article:
            doc.add_paragraph(f"段落{i}", style=article)
        else:
            _number(doc.add_paragraph(f"段落{i}")._p, num, lvl)
    doc.save(path)
    return path, [label for _, _, label in plan]


def odd_structures_docx(path: Path) -> tuple[Path, list[tuple[str, str, int | None]]]:
    """Body constructs a reader can trip on; returns the (text, kind, page) blocks expected back."""
    from docx.opc.constants import RELATIONSHIP_TYPE as RT
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    ns = (nsdecls("w", "wp", "a", "r") + ' xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
          ' xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape"'
          ' xmlns:v="urn:schemas-microsoft-com:vml"')
    doc = Document()
    html = ('<html><head><meta charset="gbk"><style>p{color:red}</style></head><body><div>'
            '<h2>第九条 补充条款</h2><p>乙方<b>应当</b>保密。</p><table><tr><td>项目</td><td>数量</td></tr></table>'
            '</div></body></html>').encode("gbk")
    chunk = Part(PackURI("/word/afchunk1.htm"), "text/html", html, doc.part.package)
    rid = doc.part.relate_to(chunk, RT.A_F_CHUNK)
    box = "<w:txbxContent><w:p><w:r><w:t>文本框内容</w:t></w:r></w:p></w:txbxContent>"
    body = [
        "<w:p><w:r><w:t>第一页正文</w:t></w:r></w:p>",
        # a text box, in DrawingML with its VML copy as fallback: read once, after its anchor paragraph
        "<w:p><w:r><w:t>锚点段落</w:t></w:r><w:r><mc:AlternateContent><mc:Choice Requires=\"wps\"><w:drawing>"
        f"<wp:anchor><a:graphic><a:graphicData><wps:wsp><wps:txbx>{box}</wps:txbx></wps:wsp></a:graphicData>"
        "</a:graphic></wp:anchor></w:drawing></mc:Choice><mc:Fallback><w:pict><v:shape><v:textbox>"
        f"{box}</v:textbox></v:shape></w:pict></mc:Fallback></mc:AlternateContent></w:r></w:p>",
        "<w:sdt><w:sdtPr><w:docPartObj><w:docPartGallery w:val=\"Table of Contents\"/></w:docPartObj></w:sdtPr>"
        f"<w:sdtContent><w:p><w:r><w:t>{TOC_TEXT}</w:t></w:r></w:p></w:sdtContent></w:sdt>",
        # Word's record of where it last broke the page, and a field: code skipped, result kept
        "<w:p><w:r><w:lastRenderedPageBreak/><w:t>第二页开头</w:t></w:r><w:r><w:fldChar w:fldCharType=\"begin\"/>"
        "</w:r><w:r><w:instrText> DOCPROPERTY 合同编号 </w:instrText></w:r><w:r><w:fldChar w:fldCharType="
        "\"separate\"/></w:r><w:r><w:t>HT-2024-01</w:t></w:r><w:r><w:fldChar w:fldCharType=\"end\"/></w:r></w:p>",
        "<w:p><w:hyperlink><w:r><w:t>链接文字</w:t></w:r></w:hyperlink><w:r><w:sym w:font=\"Wingdings\" "
        "w:char=\"F0FE\"/><w:t>同意</w:t></w:r><w:r><w:footnoteReference w:id=\"1\"/></w:r></w:p>",
        "<w:tbl><w:tr><w:tc><w:p><w:r><w:t>甲</w:t></w:r></w:p></w:tc><w:tc><w:tcPr><w:vMerge w:val=\"restart\"/>"
        "</w:tcPr><w:p><w:r><w:t>合并</w:t></w:r></w:p></w:tc></w:tr><w:tr><w:tc><w:p><w:r><w:t>乙</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>第二段</w:t></w:r></w:p></w:tc><w:tc><w:tcPr><w:vMerge/></w:tcPr><w:p/></w:tc></w:tr></w:tbl>",
        f"<w:altChunk r:id=\"{rid}\"/>",
    ]
    anchor = doc.element.body[-1]  # the body's final sectPr stays last
    for xml in body:
        anchor.addprevious(parse_xml(_with_ns(xml, ns)))
    doc.save(path)
    return path, [("第一页正文", "paragraph", 1), ("锚点段落", "paragraph", 1), ("文本框内容", "paragraph", 1),
                  ("第二页开头HT-2024-01", "paragraph", 2), ("链接文字☑同意", "paragraph", 2),
                  ("甲｜合并", "table_row", 2), ("乙 第二段｜", "table_row", 2),
                  ("第九条 补充条款", "paragraph", 2), ("乙方应当保密。", "paragraph", 2), ("项目｜数量", "table_row", 2)]


def _with_ns(xml: str, ns: str) -> str:
    """Declare the namespaces on the fragment's root element."""
    end = xml.index(">")
    close = end - 1 if xml[end - 1] == "/" else end
    return f"{xml[:close]} {ns}{xml[close:]}"


# --- text encodings ---------------------------------------------------------------------------------

def text_variants(directory: Path) -> dict[str, Path]:
    from opencc import OpenCC

    text = "\n".join(base_lines()) + "\n"
    crlf = text.replace("\n", "\r\n")
    variants = {
        "gbk.txt": crlf.encode("gbk"),
        "utf16-bom.txt": crlf.encode("utf-16"),
        "utf16le-nobom.txt": crlf.encode("utf-16-le"),
        "utf16be-nobom.txt": text.encode("utf-16-be"),
        "utf8-bom.txt": b"\xef\xbb\xbf" + text.encode("utf-8"),
        "traditional.txt": OpenCC("s2t").convert(text).encode("utf-8"),
        "traditional-gb18030.txt": OpenCC("s2t").convert(text).encode("gb18030"),
        "contract.md": _markdown(base_lines()).encode("utf-8"),
    }
    out = {}
    for name, data in variants.items():
        out[name] = directory / name
        out[name].write_bytes(data)
    return out


def _markdown(lines: list[str]) -> str:
    out, table = [f"# {lines[0]}", ""], False
    for line in lines[1:]:
        if ROW in line:
            out.append("| " + " | ".join(line.split(ROW)) + " |")
            if not table:
                out.append("|" + "---|" * len(line.split(ROW)))
                table = True
        elif CHAPTER.match(line):
            out += ["", f"## {line}", ""]
        elif ARTICLE.match(line):
            out.append(f"### {line}")
        elif m := re.match(r"^(\d+\. )(.+?)：(.*)$", line):
            out.append(f"{m.group(1)}**{m.group(2)}**：{m.group(3)}")
        else:
            out.append(line)
    return "\n".join(out) + "\n"


# --- hostile inputs ---------------------------------------------------------------------------------

def hostile(directory: Path, good_docx: Path) -> dict[str, Path]:
    good = good_docx.read_bytes()
    files: dict[str, bytes] = {
        "empty.txt": b"",
        "blank.txt": b"  \r\n\t\n",
        "truncated.docx": good[: len(good) // 2],
        "random.docx": random.Random(20240501).randbytes(16 * 1024),
        "image.png": _png(),
        "bad-xml.docx": _replace_member(good, "word/document.xml", lambda b: b[: len(b) // 2]),
        "not-word.docx": _zip({"xl/workbook.xml": b"<workbook/>", "[Content_Types].xml":
                               DOCX_CT.replace(b"wordprocessingml.document", b"spreadsheetml.sheet")}),
        "ole-garbage.doc": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + random.Random(7).randbytes(8 * 1024),
        "declares-too-much.docx": _lying_zip(members=30, declared=10 * MB),
    }
    for name, data in files.items():
        (directory / name).write_bytes(data)
    _ratio_bomb(directory / "zip-bomb.docx", 50)
    paths = {name: directory / name for name in files}
    paths["zip-bomb.docx"] = directory / "zip-bomb.docx"
    encrypted = _encrypted(good)
    if encrypted is not None:
        (directory / "encrypted.docx").write_bytes(encrypted)
        paths["encrypted.docx"] = directory / "encrypted.docx"
    return paths


def _png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\x00")) + chunk(b"IEND", b""))


_zip = zip_of


def _replace_member(docx: bytes, name: str, change) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(docx))
    return _zip({n: (change(src.read(n)) if n == name else src.read(n)) for n in src.namelist()})


def _ratio_bomb(path: Path, megabytes: int) -> None:
    """A docx whose document.xml inflates from ~50 KB to `megabytes` MB of zeros, written streaming."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        zf.writestr("[Content_Types].xml", DOCX_CT)
        with zf.open("word/document.xml", "w") as fh:
            chunk = b"\0" * MB
            for _ in range(megabytes):
                fh.write(chunk)


def _lying_zip(members: int, declared: int) -> bytes:
    """Small stored members whose central directory claims `declared` bytes each: a bomb that the
    compression ratio alone would not catch if each member stays under the ratio check's size floor."""
    data = bytearray(_zip({"[Content_Types].xml": DOCX_CT, "word/document.xml": b"<w:document/>",
                           **{f"word/media/image{i}.png": b"x" for i in range(members)}}))
    pos = data.find(b"PK\x01\x02")
    while pos != -1:
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46: pos + 46 + name_len].startswith(b"word/media/"):
            struct.pack_into("<I", data, pos + 24, declared)
        pos = data.find(b"PK\x01\x02", pos + 46)
    return bytes(data)


def _encrypted(docx: bytes) -> bytes | None:
    try:
        from msoffcrypto.format.ooxml import OOXMLFile
    except ImportError:
        return None
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(docx)).encrypt("口令123", out)
    return out.getvalue()
