"""Fuzz the readers and the structure segmenter for a given time (issue 11). Not part of the test run.

    .venv/bin/python scripts/fuzz.py --target docx --minutes 10
    .venv/bin/python scripts/fuzz.py --target all --minutes 60        # the time is shared by the targets
    .venv/bin/python scripts/fuzz.py --replay fixtures/fuzz-crashes/pdf-0123abcd4567.bin

Inputs come from Hypothesis strategies that start from valid files (tests/fixturegen: the contract as
.docx/.pdf/.ofd/.txt/.md, and the small kinds of the hostile corpus) and mutate them the way broken
exporters and attackers do: flipped, inserted and duplicated bytes, truncation, zip members spliced,
dropped, renamed or given lying sizes, random XML elements and attribute values (numbering starts,
formats, DeltaX, CTM), PDF numbers and object references replaced (loops), Markdown syntax soup, text
in other encodings, and (target `structure`) contracts made of random numbering labels.

Each input is read in a forked child under RLIMIT_AS (--memory-mb) and a time bound (--per-input):
success and nlp.DocumentError (a refusal) are fine; anything else is a crash: another exception, a
hang past the bound (its Python stack is dumped), memory past the bound (MemoryError), or a signal
(pdfium aborting on an allocation failure). Each distinct crash (by class and innermost frame) is
written to fixtures/fuzz-crashes/<target>-<hash>.bin with <target>-<hash>.txt beside it (traceback
and how to replay); tests/test_fuzz_regressions.py replays every one of them. At the end the script
prints the inputs tried, the outcomes and the crashes by class; its exit status is 1 if it found any.
"""
from __future__ import annotations

import argparse
import faulthandler
import hashlib
import io
import json
import os
import re
import resource
import signal
import struct
import sys
import tempfile
import time
import traceback
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

CRASH_DIR = ROOT / "fixtures" / "fuzz-crashes"
TARGETS = ("docx", "pdf", "ofd", "txt", "md", "html", "structure")
EXT = {"docx": ".docx", "pdf": ".pdf", "ofd": ".ofd", "txt": ".txt", "md": ".md", "html": ".docx",
       "structure": ".txt"}
MAX_CRASH_BYTES = 256 * 1024  # crash inputs kept in the repository stay tiny


# ---------------------------------------------------------------------------------------------------
# running one input

def read_input(target: str, data: bytes) -> None:
    """What every target does with an input (and what a replay does): read it as an upload would be.
    Every target goes through nlp.document.read_document, so a crash file is replayable as it is."""
    from nlp.document import read_document

    read_document(data, "fuzz" + EXT.get(target, ".bin"))


@dataclass
class Outcome:
    status: str  # ok | refused | crash
    cls: str = ""  # DocumentError code, or the crash's class
    detail: str = ""  # traceback, stack dump or signal
    signature: str = ""
    seconds: float = 0.0


def _signature(cls: str, tb_text: str) -> str:
    """Class plus the innermost frame in the product's own code."""
    frames = re.findall(r'File "([^"]+)", line (\d+), in (\S+)', tb_text)
    ours = [f for f in frames if any(f"/{p}/" in f[0] for p in ("nlp", "service", "clause_library"))]
    if ours:
        path, line, fn = ours[-1]
        return f"{cls} at {Path(path).parent.name}/{Path(path).name}:{fn}"
    if frames:
        path, line, fn = frames[-1]
        return f"{cls} at {Path(path).name}:{fn}"
    return cls


def run_child(target: str, data: bytes, per_input: float, memory_mb: int) -> Outcome:
    """Read `data` in a forked child with an address-space cap and a time bound."""
    r, w = os.pipe()
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        code = 0
        try:
            os.setpgid(0, 0)  # its own group: Tesseract or LibreOffice it starts die with it
            resource.setrlimit(resource.RLIMIT_AS, (memory_mb << 20, resource.getrlimit(resource.RLIMIT_AS)[1]))
            dump = os.fdopen(os.dup(w), "w")
            dump.write("STACK\n")
            dump.flush()
            faulthandler.dump_traceback_later(per_input, exit=True, file=dump)
            from nlp import DocumentError

            try:
                read_input(target, data)
                msg = {"status": "ok"}
            except DocumentError as e:
                msg = {"status": "refused", "cls": e.code}
            except BaseException as e:  # noqa: BLE001 - that is the point
                msg = {"status": "crash", "cls": type(e).__name__, "detail": traceback.format_exc()[-6000:]}
            faulthandler.cancel_dump_traceback_later()
            os.write(w, ("\nRESULT " + json.dumps(msg)).encode())
        except BaseException:  # noqa: BLE001
            code = 70
        finally:
            os._exit(code)
    os.close(w)
    chunks: list[bytes] = []
    os.set_blocking(r, False)
    status = None
    hard = per_input + 5
    while True:
        try:
            chunk = os.read(r, 65536)
            if chunk:
                chunks.append(chunk)
        except BlockingIOError:
            pass
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() - t0 > hard:
            _kill_group(pid)
            os.waitpid(pid, 0)
            status = None
            break
        time.sleep(0.005)
    try:
        while chunk := os.read(r, 65536):
            chunks.append(chunk)
    except (BlockingIOError, OSError):
        pass
    os.close(r)
    _kill_group(pid)  # whatever the child started
    seconds = time.monotonic() - t0
    text = b"".join(chunks).decode("utf-8", "replace")
    if "RESULT " in text:
        msg = json.loads(text.rsplit("RESULT ", 1)[1])
        out = Outcome(msg["status"], msg.get("cls", ""), msg.get("detail", ""), seconds=seconds)
        if out.status == "crash":
            out.signature = _signature(out.cls, out.detail)
        return out
    stack = text.split("STACK\n", 1)[-1].strip()
    if status is None:
        return Outcome("crash", "Hang", f"no answer within {hard:g} s (killed)\n{stack}", "Hang", seconds)
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        return Outcome("crash", f"Signal:{name}", f"killed by {name}\n{stack}", f"Signal:{name}", seconds)
    if stack:  # faulthandler fired: a hang, with the stack where it was
        return Outcome("crash", "Timeout", f"over {per_input:g} s; stack:\n{stack}",
                       _signature("Timeout", _faulthandler_as_tb(stack)), seconds)
    return Outcome("crash", f"Exit:{os.waitstatus_to_exitcode(status)}", text[-4000:], "Exit", seconds)


def _faulthandler_as_tb(stack: str) -> str:
    """faulthandler prints 'File "x", line N in fn' innermost first; make it look like a traceback."""
    lines = re.findall(r'File "([^"]+)", line (\d+) in (\S+)', stack.split("\n\n")[0])
    return "\n".join(f'File "{f}", line {n}, in {fn}' for f, n, fn in reversed(lines))


def _kill_group(pid: int) -> None:
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            kill()
            return
        except (ProcessLookupError, PermissionError, OSError):
            continue


# ---------------------------------------------------------------------------------------------------
# seeds

def _seeds(target: str) -> list[bytes]:
    from fixturegen import hostile

    small = [k for k in hostile.small(64 * 1024)]
    with tempfile.TemporaryDirectory(prefix="clausecheck-fuzz-") as tmp:
        tmp = Path(tmp)
        if target == "docx":
            from fixturegen.wordlike import contract_docx, numbering_formats_docx, odd_structures_docx

            seeds = [contract_docx(tmp / "a.docx").read_bytes(), numbering_formats_docx(tmp / "b.docx")[0].read_bytes(),
                     odd_structures_docx(tmp / "c.docx")[0].read_bytes(), hostile.plain_docx(),
                     hostile.numbering_docx("1", "chineseCounting")]
            seeds += [k.data() for k in small if k.file_name.endswith(".docx")]
        elif target == "html":
            from fixturegen.wordlike import odd_structures_docx

            seeds = [odd_structures_docx(tmp / "c.docx")[0].read_bytes()]
        elif target == "pdf":
            from fixturegen.pdflike import make_text_pdf

            seeds = [make_text_pdf(tmp / "a.pdf", hostile.contract_lines()[:12]).read_bytes(), _plain_pdf(),
                     hostile._image_pages(2), hostile._private_use_pdf(1), hostile._reference_loop()]
            seeds += [k.data() for k in small if k.file_name.endswith(".pdf")]
        elif target == "ofd":
            from fixturegen.pdflike import make_ofd

            seeds = [make_ofd(tmp / "a.ofd").read_bytes(), hostile.plain_ofd()]
            seeds += [k.data() for k in small if k.file_name.endswith(".ofd")]
        elif target in ("txt", "md"):
            from fixturegen.wordlike import text_variants

            variants = text_variants(tmp)
            seeds = [p.read_bytes() for n, p in variants.items() if n.endswith(".md") == (target == "md")]
            seeds += [k.data() for k in small if k.file_name.endswith((".txt", ".md"))]
        elif target == "structure":
            seeds = [hostile.contract_text().encode("utf-8")]
        else:
            raise SystemExit(f"unknown target {target}")
    return [s for s in seeds if s]


def _plain_pdf() -> bytes:
    """An uncompressed text PDF (Helvetica), whose content stream the mutations can edit."""
    from fixturegen.hostile import pdf_stream, write_pdf

    text = b"".join(b"BT /F1 11 Tf 60 %d Td (Article %d The provider shall keep the data in China.) Tj ET\n"
                    % (780 - 18 * i, i) for i in range(30))
    return write_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                      b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
                      b"/Resources << /Font << /F1 5 0 R >> >> >>", pdf_stream(text),
                      b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"])


# ---------------------------------------------------------------------------------------------------
# mutations: each is (name, params) drawn by Hypothesis, applied by a plain function

INTERESTING_NUMBERS = ["0", "-1", "1", "255", "256", "65535", "65536", "2147483647", "2147483648", "4294967296",
                       "9" * 20, "9" * 400, "9" * 4200, "1e308", "-1e308", "NaN", "0.0000001", "3.4e38", "", "x"]
NUM_FMTS = ["decimal", "chineseCounting", "chineseCountingThousand", "chineseLegalSimplified", "lowerLetter",
            "upperRoman", "ideographTraditional", "decimalEnclosedCircle", "bullet", "none", "ordinal", "cardinalText"]
DOCX_SNIPPETS = [
    '<w:p><w:pPr><w:numPr><w:ilvl w:val="{n}"/><w:numId w:val="{n}"/></w:numPr></w:pPr><w:r><w:t>第{n}条 {t}</w:t></w:r></w:p>',
    '<w:tbl><w:tr><w:tc><w:tcPr><w:vMerge w:val="restart"/><w:gridSpan w:val="{n}"/></w:tcPr><w:p><w:r><w:t>{t}</w:t></w:r></w:p></w:tc></w:tr></w:tbl>',
    '<w:p><w:r><w:br w:type="page"/><w:lastRenderedPageBreak/><w:t>{t}</w:t></w:r></w:p>',
    '<w:sdt><w:sdtContent>' * 8 + '<w:p><w:r><w:t>{t}</w:t></w:r></w:p>' + '</w:sdtContent></w:sdt>' * 8,
    '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>{t}</w:instrText></w:r></w:p>',
    '<w:p><w:ins w:id="{n}"><w:del w:id="{n}"><w:r><w:delText>{t}</w:delText></w:r></w:del></w:ins></w:p>',
    '<w:p><w:pPr><w:rPr><w:del w:id="{n}"/></w:rPr></w:pPr><w:r><w:t>{t}</w:t></w:r></w:p>',
    '<w:p><w:r><w:sym w:font="Wingdings" w:char="{n}"/><w:tab/><w:cr/><w:t xml:space="preserve">  {t}  </w:t></w:r></w:p>',
    '<w:altChunk r:id="rId{n}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"/>',
]
OFD_SNIPPETS = [
    '<ofd:TextObject ID="{n}" Boundary="{n} {n} {n} {n}" Font="3" Size="{n}" CTM="{n} 0 0 {n} {n} {n}">'
    '<ofd:TextCode X="{n}" Y="{n}" DeltaX="g {n} {n}">{t}</ofd:TextCode></ofd:TextObject>',
    '<ofd:Page ID="{n}" BaseLoc="Pages/Page_{n}/Content.xml"/>',
    '<ofd:PhysicalBox>0 0 {n} {n}</ofd:PhysicalBox>',
]
WORDS = ["甲方", "乙方应当", "档案数据", "第一百二十三条", "（一）", "1.1.1", "①", "附件一", "鉴于", "｜", "\u3000",
         "\ue000", "\ufffd", "\u202e", "\x00", "\f", "&amp;", "%1%2%3%4%5%6%7%8%9", "九" * 50]
MD_TOKENS = ["*a ", "**", "*", "_", "__a", "[", "](", "![", ")", "`", "\\", "#", "|", "> ", "- ", "---", "<", "&"]
LABELS = ["第{cn}章 ", "第{cn}条 ", "第{cn}节 ", "{d}. ", "{d}、", "（{cn}）", "({d})", "{d}）", "{d}.{d} ", "{d}.{d}.{d} ",
          "{d}.{d}.{d}.{d} ", "{cn}、", "①", "附件{cn} ", "鉴于：", "（以下无正文）", "甲方（盖章）：", "# ", "| "]
CN = ["一", "二", "十", "十一", "二十", "九十九", "一百", "一百零五", "两", "〇", "零", "一二三", "十十", "百"]
ENCODINGS = ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-16-le", "utf-16-be", "big5"]


def strategies(target: str, seeds: list[bytes]):
    from hypothesis import strategies as st

    frac = st.floats(0, 1, allow_nan=False)
    small = st.integers(0, 2**31)
    count = st.sampled_from([1, 2, 3, 10, 100, 1000])
    byte_ops = st.one_of(
        st.tuples(st.just("flip"), frac, st.integers(1, 255), st.integers(1, 16)),
        st.tuples(st.just("truncate"), frac),
        st.tuples(st.just("insert"), frac, st.binary(min_size=1, max_size=64)),
        st.tuples(st.just("repeat"), frac, st.integers(1, 256), count),
        st.tuples(st.just("number"), frac, st.sampled_from(INTERESTING_NUMBERS)),
    )
    attr = st.tuples(st.just("attr"), frac, st.sampled_from(INTERESTING_NUMBERS + NUM_FMTS))
    snippets = OFD_SNIPPETS if target == "ofd" else DOCX_SNIPPETS  # prefixes the part declares
    snippet = st.tuples(st.just("snippet"), frac, st.sampled_from(snippets), st.sampled_from(INTERESTING_NUMBERS[:12]),
                        st.sampled_from(WORDS), count)
    xml_ops = st.one_of(  # weighted towards changes that keep the XML well-formed
        attr, attr, snippet, snippet,
        st.tuples(st.just("dup-element"), frac, count),
        st.tuples(st.just("drop-close"), frac),
        st.tuples(st.just("doctype"), st.sampled_from(["laughs", "xxe", "param"])),
    )
    member_xml = st.tuples(st.just("member-xml"), small, st.lists(xml_ops, min_size=1, max_size=4))
    zip_ops = st.one_of(
        member_xml, member_xml, member_xml, member_xml,
        st.tuples(st.just("member-bytes"), small, st.lists(byte_ops, min_size=1, max_size=3)),
        st.tuples(st.just("drop-member"), small),
        st.tuples(st.just("dup-member"), small),
        st.tuples(st.just("rename-member"), small, st.sampled_from(["../../x.xml", "/abs.xml", "word/document.xml",
                                                                    "OFD.xml", "Doc_0/Document.xml", "a\\b.xml", ""])),
        st.tuples(st.just("lie-size"), small, st.sampled_from([0, 1, 900, 2**31, 2**32 - 1])),
        st.tuples(st.just("add-member"), st.sampled_from(["word/numbering.xml", "word/styles.xml", "Doc_0/Res.xml",
                                                          "[Content_Types].xml", "mimetype"]),
                  st.binary(max_size=200)),
    )
    pdf_ops = st.one_of(
        st.tuples(st.just("pdf-number"), frac, st.sampled_from(INTERESTING_NUMBERS)),
        st.tuples(st.just("pdf-ref"), frac, st.integers(0, 12)),
        st.tuples(st.just("pdf-ops"), frac, st.lists(st.sampled_from(
            ["BT", "ET", "Tj", "TJ", "Tf", "Td", "Tm", "q", "Q", "cm", "Do", "BI", "ID", "EI", "(\\376\\377)", "<FEFF>",
             "/F1", "99999", "-1e30", "[", "]", "3 Tr", "0 0 0 rg"]), min_size=1, max_size=30)),
        st.tuples(st.just("pdf-key"), frac, st.sampled_from([b"/Count 100000", b"/Length 0", b"/Filter /FlateDecode",
                                                             b"/MediaBox [0 0 0 0]", b"/Rotate 45", b"/Encrypt 1 0 R",
                                                             b"/Kids [2 0 R]", b"/Parent 3 0 R"])),
    )
    text_ops = st.one_of(
        st.tuples(st.just("soup"), frac, st.lists(st.sampled_from(MD_TOKENS), min_size=1, max_size=12),
                  st.sampled_from([1, 10, 1000, 20000])),
        st.tuples(st.just("chars"), frac, st.text(min_size=1, max_size=40)),
        st.tuples(st.just("words"), frac, st.lists(st.sampled_from(WORDS), min_size=1, max_size=8)),
        st.tuples(st.just("long-line"), frac, st.sampled_from(["一", "a", " ", "。", "\t"]),
                  st.sampled_from([1000, 100000])),
        st.tuples(st.just("numeral"), frac, st.sampled_from(["一", "九", "十", "百", "两"]),
                  st.sampled_from([5, 50, 500, 4200])),
    )
    seed = st.sampled_from(seeds)
    if target in ("docx", "ofd"):  # mostly member-level: whole-file byte noise mostly just breaks the zip
        ops = st.lists(st.one_of(zip_ops, zip_ops, zip_ops, byte_ops), min_size=1, max_size=4)
    elif target == "html":
        html_ops = st.one_of(text_ops, st.tuples(st.just("html-tag"), frac,
                                                 st.sampled_from(["<table>", "<tr>", "<td>", "<p>", "<div>", "<script>",
                                                                  "<meta charset='{x}'>", "<h1>", "<!--", "]]>", "<br>"]),
                                                 count))
        ops = st.lists(st.tuples(st.just("html"), html_ops, st.sampled_from(["gbk", "utf-8", "x-unknown", "utf-16"])),
                       min_size=1, max_size=3)
    elif target == "pdf":
        ops = st.lists(st.one_of(pdf_ops, byte_ops), min_size=1, max_size=4)
    elif target in ("txt", "md"):
        ops = st.lists(st.one_of(text_ops, byte_ops, st.tuples(st.just("encode"), st.sampled_from(ENCODINGS))),
                       min_size=1, max_size=4)
    else:  # structure: a contract of random labels and text, as plain text
        line = st.tuples(st.sampled_from(LABELS), st.sampled_from(CN), st.integers(0, 120),
                         st.lists(st.sampled_from(WORDS + ["。", "；", "：", "，"]), max_size=8))
        return st.tuples(st.just(b""), st.lists(line, min_size=1, max_size=400).map(lambda ls: [("lines", ls)]))
    return st.tuples(seed, ops)


def _at(data, f: float) -> int:
    return min(len(data), max(0, int(f * len(data))))


def mutate(target: str, data: bytes, ops: list) -> bytes:
    for op in ops:
        try:
            data = _apply(target, data, op)
        except Exception:  # noqa: BLE001 - a mutation that does not fit this input (a broken zip): skip it
            continue
    return data


def _apply(target: str, data: bytes, op) -> bytes:
    kind = op[0]
    if kind == "flip":
        buf = bytearray(data)
        if buf:
            for i in range(op[3]):
                buf[(_at(buf, op[1]) + i * 7919) % len(buf)] ^= op[2]
        return bytes(buf)
    if kind == "truncate":
        return data[:_at(data, op[1])]
    if kind == "insert":
        i = _at(data, op[1])
        return data[:i] + op[2] + data[i:]
    if kind == "repeat":
        i = _at(data, op[1])
        return data[:i] + data[i:i + op[2]] * op[3] + data[i:]
    if kind == "number":
        return _replace_nth(data, rb"-?\d+(?:\.\d+)?", op[1], op[2].encode())
    if kind in ("attr", "snippet", "dup-element", "drop-close", "doctype"):
        return _xml_op(data.decode("utf-8", "replace"), op).encode("utf-8")
    if kind.endswith("-member") or kind in ("member-xml", "member-bytes", "lie-size"):
        return _zip_op(target, data, op)
    if kind == "pdf-number":
        return _replace_nth(data, rb"(?<![\w/])-?\d+(?:\.\d+)?(?![\w])", op[1], op[2].encode())
    if kind == "pdf-ref":
        return _replace_nth(data, rb"\d+ 0 R", op[1], b"%d 0 R" % op[2])
    if kind == "pdf-ops":
        i = data.find(b"stream\n", _at(data, op[1]))
        if i < 0:
            i = data.find(b"stream\n")
        if i < 0:
            return data
        i += len(b"stream\n")
        return data[:i] + " ".join(op[2]).encode() + b"\n" + data[i:]
    if kind == "pdf-key":
        i = data.find(b"<<", _at(data, op[1]))
        return data if i < 0 else data[:i + 2] + b" " + op[2] + b" " + data[i + 2:]
    if kind in ("soup", "chars", "words", "long-line", "numeral", "encode"):
        return _text_op(data, op)
    if kind == "lines":
        return _structure_text(op[1]).encode("utf-8")
    if kind == "html":
        return _html_op(data, op[1], op[2])
    raise ValueError(kind)


def _replace_nth(data: bytes, pattern: bytes, f: float, new: bytes) -> bytes:
    spans = [m.span() for m in re.finditer(pattern, data[:2_000_000])]
    if not spans:
        return data
    a, b = spans[min(len(spans) - 1, int(f * len(spans)))]
    return data[:a] + new + data[b:]


def _xml_op(xml: str, op) -> str:
    kind = op[0]
    if kind == "attr":  # an attribute value, never a namespace or the XML declaration's
        spans = [m.span(2) for m in re.finditer(r'\s([\w:]+)="([^"]*)"', xml)
                 if not m.group(1).startswith("xmlns") and m.group(1) not in ("version", "encoding", "standalone")]
        if not spans:
            return xml
        a, b = spans[min(len(spans) - 1, int(op[1] * len(spans)))]
        return xml[:a] + op[2] + xml[b:]
    if kind == "snippet":
        tags = [m.start() for m in re.finditer(r"<(?!/|\?|!)", xml)]
        if not tags:
            return xml
        at = tags[min(len(tags) - 1, int(op[1] * len(tags)))]
        piece = op[2].replace("{n}", op[3]).replace("{t}", op[4].replace("&", "&amp;").replace("<", "&lt;"))
        return xml[:at] + piece * op[5] + xml[at:]
    if kind == "dup-element":
        m = list(re.finditer(r"<([\w:]+)[^>]*>[^<]*</\1>", xml))
        if not m:
            return xml
        e = m[min(len(m) - 1, int(op[1] * len(m)))]
        return xml[:e.start()] + e.group(0) * op[2] + xml[e.start():]
    if kind == "drop-close":
        m = [x.span() for x in re.finditer(r"</[\w:]+>", xml)]
        if not m:
            return xml
        a, b = m[min(len(m) - 1, int(op[1] * len(m)))]
        return xml[:a] + xml[b:]
    if kind == "doctype":
        root = re.search(r"<([\w:]+)[\s>]", re.sub(r"<\?xml[^>]*\?>", "", xml))
        name = root.group(1) if root else "r"
        decl = {"laughs": '<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
                          '<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">',
                "xxe": '<!ENTITY d SYSTEM "file:///etc/passwd">',
                "param": '<!ENTITY % p SYSTEM "file:///etc/hostname"> %p; <!ENTITY d "x">'}[op[1]]
        xml = re.sub(r"^(\s*<\?xml[^>]*\?>)?", lambda m: (m.group(0) or "") + f"<!DOCTYPE {name} [{decl}]>", xml, count=1)
        return re.sub(r"(<[\w:]+:t(?:\s[^>]*)?>)", r"\1&d;", xml, count=3)
    raise ValueError(kind)


def _zip_op(target: str, data: bytes, op) -> bytes:
    kind = op[0]
    if kind == "lie-size":  # patch the declared size of one central-directory entry
        buf = bytearray(data)
        entries = [m.start() for m in re.finditer(rb"PK\x01\x02", data)]
        if not entries:
            return data
        pos = entries[op[1] % len(entries)]
        struct.pack_into("<I", buf, pos + 24, op[2] & 0xFFFFFFFF)
        return bytes(buf)
    members = _members(data)
    if not members:
        return data
    i = op[1] % len(members) if isinstance(op[1], int) else 0
    parts = [k for k, (n, _) in enumerate(members) if re.search(r"(document|numbering|styles|Content|Document|OFD)\.xml$", n)]
    if kind == "member-xml" and parts and op[1] % 4:  # mostly the parts the readers parse
        i = parts[op[1] % len(parts)]
    if kind == "member-xml":
        name, body = members[i]
        text = body.decode("utf-8", "replace")
        for x in op[2]:
            try:
                text = _xml_op(text, x)
            except (ValueError, IndexError):
                pass
        members[i] = (name, text.encode("utf-8"))
    elif kind == "member-bytes":
        name, body = members[i]
        for x in op[2]:
            body = _apply(target, body, x)
        members[i] = (name, body)
    elif kind == "drop-member":
        members.pop(i)
    elif kind == "dup-member":
        members.insert(i, members[i])
    elif kind == "rename-member":
        members[i] = (op[2], members[i][1])
    elif kind == "add-member":
        members.append((op[1], op[2]))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in members:
            zf.writestr(zipfile.ZipInfo(name or "_"), body, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _members(data: bytes, cap: int = 8 << 20) -> list[tuple[str, bytes]]:
    """A zip's members, each read with a cap: the parent must never inflate a bomb itself."""
    out = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        for info in zf.infolist()[:5000]:
            with zf.open(info) as fh:
                out.append((info.filename, fh.read(cap)))
    return out


def _text_op(data: bytes, op) -> bytes:
    from nlp.readers.text import decode_text

    kind = op[0]
    if kind == "encode":
        try:
            text = decode_text(data)
        except Exception:  # noqa: BLE001 - not text any more
            return data
        return text.encode(op[1], errors="replace")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return data
    at = _at(text, op[1])
    if kind == "soup":
        piece = "".join(op[2]) * op[3]
    elif kind == "chars":
        piece = op[2]
    elif kind == "words":
        piece = "".join(op[2])
    elif kind == "long-line":
        piece = op[2] * op[3]
    else:  # numeral: a label, a deadline and a reference with a very long Chinese numeral
        n = op[2] * op[3]
        piece = f"\n第{n}条 乙方应在{n}小时内报告。\n"
    return (text[:at] + piece + text[at:]).encode("utf-8")


def _html_op(data: bytes, inner, charset: str) -> bytes:
    """Mutate the HTML altChunk of a .docx (the HTML reader), declaring `charset`."""
    members = _members(data)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, body in members:
            if name.endswith(".htm") or name.endswith(".html"):
                html = body.decode("gbk", "replace").replace('charset="gbk"', f'charset="{charset}"')
                if inner[0] == "html-tag":
                    at = _at(html, inner[1])
                    html = html[:at] + inner[2].replace("{x}", charset) * inner[3] + html[at:]
                    body = html.encode("gbk", "replace")
                else:
                    body = _text_op(html.encode("utf-8"), inner)
                    if charset not in ("utf-8", "utf-16"):
                        body = body.decode("utf-8", "replace").encode("gbk", "replace")
            zf.writestr(name, body)
    return out.getvalue()


def _structure_text(lines) -> str:
    out = []
    for label, cn, d, words in lines:
        out.append(label.replace("{cn}", cn).replace("{d}", str(d)) + "".join(words))
    return "甲方：某市档案馆\n乙方：某云服务公司\n" + "\n".join(out) + "\n"


# ---------------------------------------------------------------------------------------------------
# the loop

@dataclass
class Stats:
    tried: int = 0
    outcomes: Counter = field(default_factory=Counter)
    crashes: Counter = field(default_factory=Counter)  # by class
    signatures: dict = field(default_factory=dict)  # signature -> (file or None, count)
    slowest: float = 0.0
    slowest_input: bytes = b""


class _TimeUp(BaseException):
    """Raised inside the Hypothesis test to end the run without a failure (and without shrinking)."""


def save_crash(target: str, data: bytes, out: Outcome, crash_dir: Path, max_bytes: int) -> Path | None:
    if len(data) > max_bytes:
        return None
    digest = hashlib.sha256(data).hexdigest()[:12]
    crash_dir.mkdir(parents=True, exist_ok=True)
    path = crash_dir / f"{target}-{digest}.bin"
    path.write_bytes(data)
    path.with_suffix(".txt").write_text(
        f"target: {target}\nclass: {out.cls}\nsignature: {out.signature}\nbytes: {len(data)}\n"
        f"seconds: {out.seconds:.1f}\nfound: {time.strftime('%Y-%m-%d %H:%M:%S')}\n"
        f"replay: .venv/bin/python scripts/fuzz.py --replay {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}\n\n"
        f"{out.detail}\n", encoding="utf-8")
    return path


def fuzz(target: str, seconds: float, per_input: float, memory_mb: int, crash_dir: Path, max_bytes: int,
         seed: int | None, verbose: bool) -> Stats:
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import seed as hseed

    import nlp  # noqa: F401 - imported once in the parent: every forked child starts warm
    import nlp.document  # noqa: F401
    import nlp.readers.docx  # noqa: F401
    import nlp.readers.ofd  # noqa: F401
    import nlp.readers.pdf  # noqa: F401
    import nlp.readers.text  # noqa: F401

    seeds = _seeds(target)
    stats = Stats()
    deadline = time.monotonic() + seconds

    @settings(max_examples=10**9, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck), report_multiple_bugs=False, verbosity=Verbosity.quiet)
    @given(strategies(target, seeds))
    def one(case):
        if time.monotonic() > deadline:
            raise _TimeUp
        base, ops = case
        data = mutate(target, base, ops)
        out = run_child(target, data, per_input, memory_mb)
        stats.tried += 1
        if out.seconds > stats.slowest:
            stats.slowest, stats.slowest_input = out.seconds, data
        stats.outcomes["ok" if out.status == "ok" else f"refused:{out.cls}" if out.status == "refused" else "crash"] += 1
        if out.status == "crash":
            stats.crashes[out.cls] += 1
            sig = out.signature or out.cls
            path, n = stats.signatures.get(sig, (None, 0))
            if path is None:
                path = save_crash(target, data, out, crash_dir, max_bytes)
                print(f"  crash [{target}] {sig} ({len(data)} bytes) -> {path or 'too large to keep'}", flush=True)
            stats.signatures[sig] = (path, n + 1)
        if verbose and stats.tried % 100 == 0:
            print(f"  [{target}] {stats.tried} inputs, {sum(stats.crashes.values())} crashes", flush=True)

    if seed is not None:
        one = hseed(seed)(one)
    try:
        one()
    except _TimeUp:
        pass
    return stats


def replay(path: Path, per_input: float, memory_mb: int) -> Outcome:
    target = path.name.split("-", 1)[0]
    return run_child(target if target in TARGETS else "docx", path.read_bytes(), per_input, memory_mb)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--target", choices=[*TARGETS, "all"], default="all")
    ap.add_argument("--minutes", type=float, default=None, help="fuzzing time (per target unless 'all': shared)")
    ap.add_argument("--seconds", type=float, default=None, help="fuzzing time in seconds instead")
    ap.add_argument("--per-input", type=float, default=10.0, help="time bound for one input (s)")
    ap.add_argument("--memory-mb", type=int, default=1024, help="address-space bound for one input (MB)")
    ap.add_argument("--crash-dir", type=Path, default=CRASH_DIR)
    ap.add_argument("--max-crash-bytes", type=int, default=MAX_CRASH_BYTES)
    ap.add_argument("--seed", type=int, default=None, help="Hypothesis seed, for a repeatable run")
    ap.add_argument("--replay", type=Path, nargs="+", help="read these crash files and report")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    import warnings

    warnings.filterwarnings("ignore")  # zipfile's "Duplicate name" for the inputs built on purpose

    if args.replay:
        bad = 0
        for p in args.replay:
            out = replay(p, args.per_input, args.memory_mb)
            print(f"{p}: {out.status} {out.cls} ({out.seconds:.1f}s)")
            if out.status == "crash":
                bad += 1
                print(out.detail)
        return 1 if bad else 0

    total = args.seconds if args.seconds is not None else 60 * (args.minutes if args.minutes is not None else 10)
    targets = list(TARGETS) if args.target == "all" else [args.target]
    each = total / len(targets) if args.target == "all" else total
    print(f"fuzzing {', '.join(targets)}: {each:.0f} s each, per input {args.per_input:g} s and "
          f"{args.memory_mb} MB, crashes to {args.crash_dir}", flush=True)
    found = 0
    report = []
    for target in targets:
        t0 = time.monotonic()
        stats = fuzz(target, each, args.per_input, args.memory_mb, args.crash_dir, args.max_crash_bytes,
                     args.seed, args.verbose)
        took = time.monotonic() - t0
        found += sum(stats.crashes.values())
        report.append((target, stats, took))
    print("\nsummary")
    for target, stats, took in report:
        rate = stats.tried / took if took else 0
        slow = ""
        if stats.slowest > args.per_input / 4 and stats.slowest_input:  # worth a look, not a crash
            fd, name = tempfile.mkstemp(prefix=f"fuzz-slowest-{target}-", suffix=".bin")
            with os.fdopen(fd, "wb") as fh:
                fh.write(stats.slowest_input)
            slow = f" (kept in {name})"
        print(f"  {target:9} {stats.tried:6} inputs in {took:5.0f} s ({rate:.1f}/s), slowest {stats.slowest:.1f} s{slow}; "
              f"crashes {sum(stats.crashes.values())}")
        for outcome, n in stats.outcomes.most_common():
            print(f"      {outcome:32} {n}")
        for cls, n in stats.crashes.most_common():
            print(f"      crash class {cls:20} {n}")
        for sig, (path, n) in stats.signatures.items():
            print(f"      {n:4} x {sig} -> {path or '(input over --max-crash-bytes, not kept)'}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
