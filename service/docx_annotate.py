"""The lawyer's own Word draft back with the review in it: Word comments (批注) on the passages, and on
request the suggested wording as tracked insertions (修订).

`annotate_docx(original_bytes, review, redline=False)` returns the draft with
- a comment (author "clausecheck", initials "CC") anchored on exactly the passage of every piece of
  evidence of every weak or conflicting finding: status, what this passage does (支持/削弱/冲突), the
  reasons, the policy sentences and the suggested wording;
- a summary comment on the first paragraph: verdict, counts, every missing requirement by its Chinese
  title with its suggested wording, and any weak/conflicting finding whose passage could not be found;
- with `redline`, each missing or weak finding's suggested wording as a new paragraph inserted as a
  tracked change (w:ins, author "clausecheck") after the article it belongs to (the article of its
  evidence or nearest passage; else after the last article before any attachment, i.e. above the
  signature block; else at the end), each with a short comment saying which requirement it answers.

Nothing else changes: no text, formatting, numbering, tracked change or document property. Runs are
split where a passage begins or ends inside one, each half keeping the run's properties.

How passages are found. A review's offsets refer to the normalised text (nlp/document.py), which
differs from the XML: Word's automatic numbering is added as text, deleted text is dropped, characters
are normalised (full-width digits, traditional characters …). So the draft's visible characters are
laid out in one stream, each normalised on its own and whitespace dropped, each knowing its w:t and
offset; the draft is read again with nlp to align each normalised paragraph with that stream; each
evidence text is searched in the stream near the place its paragraph aligned to (its numbering label
dropped when needed, table-cell separators dropped for table rows), then by its first and last
characters, and as a last resort the whole paragraph is anchored.
"""
from __future__ import annotations

import copy
import datetime as dt
import functools
import hashlib
import io
from bisect import bisect_right
from dataclasses import dataclass

from nlp.normalize import normalize

try:  # the check-box glyphs the reader turns into characters (☐ ☑ …)
    from nlp.readers.docx import _SYMBOLS
except ImportError:  # pragma: no cover
    _SYMBOLS = {}

from .report_docx import (SEVERITY_ZH, SEV_ORDER, STATUS_ZH, TOOL, profile_title, review_date, role_zh,
                          verdict_line, versions_line, where)

AUTHOR, INITIALS = TOOL, "CC"

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


P, R, T, RPR, PPR, BODY = _w("p"), _w("r"), _w("t"), _w("rPr"), _w("pPr"), _w("body")
DEL, MOVEFROM, INS, ID, VAL = _w("del"), _w("moveFrom"), _w("ins"), _w("id"), _w("val")
NO_BREAK_HYPHEN, SYM, SECTPR = _w("noBreakHyphen"), _w("sym"), _w("sectPr")
ALTERNATE, CHOICE, FALLBACK = f"{{{MC}}}AlternateContent", f"{{{MC}}}Choice", f"{{{MC}}}Fallback"
# paragraph-level children whose runs are not part of the visible (accepted) text
_NOT_TEXT = {PPR, DEL, MOVEFROM, FALLBACK, P, _w("tbl")}
# what a redline paragraph copies from the paragraph it follows
_PPR_COPY = ("pStyle", "spacing", "jc")
_RPR_COPY = ("rFonts", "sz", "szCs", "lang", "kern")

ANNOTATED = ("weak", "conflicting")
REDLINED = ("missing", "weak")


class AnnotateError(ValueError):
    """The draft cannot be annotated (not a Word .docx python-docx can open, or not the reviewed file)."""

    def __init__(self, message_zh: str, message_en: str):
        super().__init__(f"{message_zh} / {message_en}")
        self.message_zh, self.message_en = message_zh, message_en


# --- the visible text of the draft, character by character ------------------------------------------

@functools.lru_cache(maxsize=1 << 16)
def _key(ch: str) -> str:
    """One source character in the comparison space: normalised like the review's text, no whitespace."""
    return "".join(c for c in normalize(ch) if not c.isspace())


def _keys(text: str) -> str:
    return "".join(_key(c) for c in text)


@dataclass
class _Unit:
    run: object  # w:r
    node: object  # w:t, or another run child standing for one character (w:noBreakHyphen, w:sym)
    offset: int  # offset in node.text (0 for other nodes)
    para: object  # w:p

    def same_char(self, other: "_Unit") -> bool:
        return self.node is other.node and self.offset == other.offset


def _on(el) -> bool:
    return el is not None and el.get(VAL) not in ("0", "false", "off")


def _hidden(run) -> bool:
    rpr = run.find(RPR)
    return rpr is not None and (_on(rpr.find(_w("vanish"))) or _on(rpr.find(_w("specVanish"))))


def _paragraphs(body):
    """Every w:p in reading order (text-box paragraphs after the paragraph holding the box), skipping the
    VML fallback copies of text boxes."""
    for p in body.iter(P):
        if any(a.tag == FALLBACK for a in p.iterancestors()):
            continue
        yield p


def _runs(el):
    """The runs of one paragraph whose text is read (tracked insertions included, deletions not)."""
    for child in el:
        tag = child.tag
        if tag == R:
            yield child
        elif tag in _NOT_TEXT:
            continue
        elif tag == ALTERNATE:
            choice = child.find(CHOICE)
            if choice is not None:
                yield from _runs(choice)
        else:  # ins, moveTo, hyperlink, smartTag, sdt/sdtContent, fldSimple, customXml, bdo, dir
            yield from _runs(child)


class _Stream:
    def __init__(self, body):
        keys: list[str] = []
        self.units: list[_Unit] = []
        self.paras: list[tuple[object, int, int]] = []  # (w:p, first unit, end unit)
        for p in _paragraphs(body):
            first = len(self.units)
            for r in _runs(p):
                if _hidden(r):
                    continue
                for child in r:
                    if child.tag == T:
                        for i, ch in enumerate(child.text or ""):
                            for k in _key(ch):
                                keys.append(k)
                                self.units.append(_Unit(r, child, i, p))
                    elif child.tag in (NO_BREAK_HYPHEN, SYM):
                        ch = ("-" if child.tag == NO_BREAK_HYPHEN
                              else _SYMBOLS.get((child.get(_w("char")) or "").upper(), ""))
                        for k in _key(ch) if ch else "":
                            keys.append(k)
                            self.units.append(_Unit(r, child, 0, p))
            self.paras.append((p, first, len(self.units)))
        self.text = "".join(keys)



# --- where the review's paragraphs and passages are in the stream ------------------------------------

class _Aligner:
    def __init__(self, doc, stream: _Stream):
        self.doc, self.stream = doc, stream
        self.starts = [p.start for p in doc.paragraphs]
        # per normalised paragraph: (doc offset the match begins at, stream start, stream end) or None
        self.spans: list[tuple[int, int, int] | None] = []
        cursor = 0
        for para in doc.paragraphs:
            hit = None
            for doc_from, text in self._variants(para):
                k = _keys(text)
                if not k:
                    continue
                i = stream.text.find(k, cursor)
                if i >= 0 and (len(k) >= 6 or i - cursor < 2000):
                    hit = (doc_from, i, i + len(k))
                    break
            self.spans.append(hit)
            if hit:
                cursor = hit[2]

    @staticmethod
    def _variants(para):
        text = para.text
        out = []
        if para.kind == "table_row":
            out.append((para.start, text.replace("｜", "")))
        out.append((para.start, text))
        head, sep, rest = text.partition(" ")
        if sep and len(head) <= 12:  # "第一条 …", "1. …": a numbering label Word keeps outside the text
            out.append((para.start + len(head) + 1, rest))
        return out

    def paragraph_at(self, offset: int) -> int | None:
        i = bisect_right(self.starts, offset) - 1
        return i if i >= 0 else None

    def to_stream(self, offset: int) -> int | None:
        """The stream position of a normalised-text offset (approximate inside a paragraph)."""
        i = self.paragraph_at(offset)
        if i is None:
            return 0
        for j in range(i, -1, -1):  # the nearest aligned paragraph at or before it
            span = self.spans[j]
            if span:
                doc_from, s, e = span
                if j != i:
                    return e
                return min(e, s + len(_keys(self.doc.text[doc_from:offset]))) if offset > doc_from else s
        return None

    def locate(self, ev: dict) -> tuple[tuple[int, int] | None, bool]:
        """(stream range, exact) of one piece of evidence; the whole paragraph when the text is not found."""
        loc = ev.get("location") or {}
        start = loc.get("start", 0)
        expected = self.to_stream(start)
        if expected is None:
            expected = int(len(self.stream.text) * start / max(1, len(self.doc.text)))
        text = ev.get("text") or ""
        variants = [text]
        head, sep, rest = text.partition(" ")
        if sep and len(head) <= 12:
            variants.append(rest)
        variants += [v.replace("｜", "") for v in variants if "｜" in v]
        for v in variants:
            k = _keys(v)
            if len(k) < 2:
                continue
            hit = self._nearest(k, expected)
            if hit is not None:
                return (hit, hit + len(k)), True
        k = _keys(variants[-1] if len(variants) > 1 else text)
        if len(k) >= 16:  # same beginning and end, something different in between (e.g. a converted character)
            a = self._nearest(k[:8], expected)
            if a is not None:
                b = self.stream.text.find(k[-8:], a + 8, a + 2 * len(k))
                if b >= 0:
                    return (a, b + 8), True
        para = loc.get("paragraph")
        if para is None:
            para = self.paragraph_at(start)
        if para is not None and 0 <= para < len(self.spans) and self.spans[para]:
            _, s, e = self.spans[para]
            return (s, e), False
        return None, False

    def _nearest(self, k: str, expected: int) -> int | None:
        best, i = None, self.stream.text.find(k)
        while i >= 0:
            if best is None or abs(i - expected) < abs(best - expected):
                best = i
            if i > expected:
                break
            i = self.stream.text.find(k, i + 1)
        return best

    def article_end_paragraph(self, offset: int):
        """The w:p ending the article that holds `offset` (where a suggestion for it goes)."""
        doc = self.doc
        around = [s for s in doc.sections if s.start <= offset < s.end]
        articles = [s for s in around if s.level == "article"]
        body_parts = [s for s in around if s.level not in ("chapter", "attachment")]
        section = articles[-1] if articles else body_parts[0] if body_parts else around[-1] if around else None
        end = section.end if section else None
        i = self.paragraph_at(offset)
        if i is None:
            return None
        if end is not None:
            while i + 1 < len(doc.paragraphs) and doc.paragraphs[i + 1].start < end:
                i += 1
        for j in range(i, -1, -1):
            if self.spans[j]:
                return self.stream.units[self.spans[j][2] - 1].para
        return None

    def body_end_paragraph(self):
        """The w:p ending the contract's last article before any attachment (before the signature
        block), for a suggestion that has no passage of its own; None when the contract has no articles."""
        sections = self.doc.sections
        limit = min((s.start for s in sections if s.level == "attachment"), default=len(self.doc.text))
        articles = [s for s in sections if s.level == "article" and s.start < limit]
        return self.article_end_paragraph(articles[-1].start) if articles else None


# --- splitting runs and marking comment ranges ----------------------------------------------------

def _preserve(t) -> None:
    t.set(XML_SPACE, "preserve")


def _split(run, node, offset: int):
    """Move the content of `run` from (node, offset) on into a new run right after it, with the same
    properties. Returns the run that starts at that point, or None if the point is the run's end."""
    children = [c for c in run if c.tag != RPR]
    idx = children.index(node)
    if node.tag == T and offset >= len(node.text or ""):
        idx, offset = idx + 1, 0
        if idx >= len(children):
            return None
        node = children[idx]
    elif node.tag != T:
        offset = 0
    if idx == 0 and offset == 0:
        return run
    new = run.makeelement(R, dict(run.attrib))
    rpr = run.find(RPR)
    if rpr is not None:
        new.append(copy.deepcopy(rpr))
    if offset > 0:
        text = node.text
        tail = node.makeelement(T, dict(node.attrib))
        tail.text, node.text = text[offset:], text[:offset]
        _preserve(node)
        _preserve(tail)
        moved = [tail] + children[idx + 1:]
    else:
        moved = children[idx:]
    for c in moved:
        new.append(c)
    run.addnext(new)
    return new


def _snap(stream: _Stream, a: int, b: int) -> tuple[int, int]:
    """Widen a key range to whole source characters (one character can normalise to two keys)."""
    u = stream.units
    while a > 0 and u[a - 1].same_char(u[a]):
        a -= 1
    while b < len(u) and u[b].same_char(u[b - 1]):
        b += 1
    return a, b


def _split_for(stream: _Stream, ranges: list[tuple[int, int]]) -> None:
    """Split runs so that every range begins and ends on a run boundary; later points first, so that the
    units of earlier points stay valid."""
    points = set()
    for a, b in ranges:
        points.add((a, 0))
        points.add((b - 1, 1))
    for pos, after in sorted(points, reverse=True):
        unit = stream.units[pos]
        if after:
            if unit.node.tag == T:
                _split(unit.run, unit.node, unit.offset + 1)
            else:
                children = [c for c in unit.run if c.tag != RPR]
                nxt = children.index(unit.node) + 1
                if nxt < len(children):
                    _split(unit.run, children[nxt], 0)
        else:
            _split(unit.run, unit.node, unit.offset)


def _reference_run(cid: int, with_style: bool):
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    r = OxmlElement("w:r")
    if with_style:
        rpr = OxmlElement("w:rPr")
        style = OxmlElement("w:rStyle")
        style.set(qn("w:val"), "CommentReference")
        rpr.append(style)
        r.append(rpr)
    ref = OxmlElement("w:commentReference")
    ref.set(qn("w:id"), str(cid))
    r.append(ref)
    return r


def _mark(first_run, last_run, cid: int, with_style: bool) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    start = OxmlElement("w:commentRangeStart")
    start.set(qn("w:id"), str(cid))
    first_run.addprevious(start)
    end = OxmlElement("w:commentRangeEnd")
    end.set(qn("w:id"), str(cid))
    last_run.addnext(end)
    holder = end  # the reference run goes at paragraph level, outside any w:ins or hyperlink
    while holder.getparent() is not None and holder.getparent().tag != P:
        holder = holder.getparent()
    holder.addnext(_reference_run(cid, with_style))


# --- comment texts --------------------------------------------------------------------------------

def _finding_comment(f: dict, ev: dict, exact: bool, review: dict) -> tuple[str, list[str]]:
    head = f"【{STATUS_ZH[f['status']]}】{f['title']}（严重程度：{SEVERITY_ZH[f['severity']]}）"
    lines = [f"本段作用：{role_zh(ev)}（{where(ev)}）"]
    if not exact:
        lines.append(f"未能精确定位原文，批注标在整段上；所指文字：{ev.get('text', '')}")
    lines += [f"理由：{r}" for r in f["reasons"]]
    lines += [f"政策依据：{s}" for s in f.get("sources", [])]
    if f.get("suggestion"):
        lines.append(f"建议措辞：{f['suggestion']}")
    lines.append(f"{TOOL} · {f['requirement']} · 规则库 {review.get('rules_version') or '—'}")
    return head, lines


def _summary_comment(review: dict, unplaced: list[dict], redline: bool) -> tuple[str, list[str]]:
    head = f"{TOOL} 审查摘要（{review_date(review)}）"
    lines = [f"审查模板：{profile_title(review)}", verdict_line(review)]
    missing = sorted((f for f in review["findings"] if f["status"] == "missing"),
                     key=lambda f: SEV_ORDER.get(f["severity"], 9))
    if missing:
        lines.append(f"缺失的要求（{len(missing)}项）：")
        for n, f in enumerate(missing, 1):
            lines.append(f"{n}. {f['title']}（严重程度：{SEVERITY_ZH[f['severity']]}）")
            if f.get("suggestion"):
                lines.append(f"建议措辞：{f['suggestion']}")
    else:
        lines.append("没有缺失的要求。")
    flagged = [f for f in review["findings"] if f["status"] in ANNOTATED]
    if flagged:
        lines.append(f"薄弱或冲突的条款（{len(flagged)}项）已在相应原文处批注。")
    for f in unplaced:
        lines.append(f"未能在原文中定位：【{STATUS_ZH[f['status']]}】{f['title']}——" + "；".join(f["reasons"]))
        if f.get("suggestion"):
            lines.append(f"建议措辞：{f['suggestion']}")
    if redline:
        lines.append("缺失和薄弱要求的建议措辞已作为修订（插入）加入正文，可在Word中逐条接受或拒绝。")
    lines += [f"提示：{w}" for w in review["document"].get("warnings", [])]
    lines.append(versions_line(review))
    return head, lines


def _add_comment(document, head: str, lines: list[str]):
    comment = document.comments.add_comment(text="", author=AUTHOR, initials=INITIALS)
    comment.paragraphs[0].add_run(head).bold = True
    for line in lines:
        comment.add_paragraph(line)
    return comment


# --- tracked insertions -----------------------------------------------------------------------------

def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _top_level(el, body):
    while el.getparent() is not None and el.getparent() is not body:
        el = el.getparent()
    return el


def _numbered_styles(document) -> set[str]:
    out = set()
    for st in document.styles.element.iter(_w("style")):
        if st.find(f"{PPR}/{_w('numPr')}") is not None:
            out.add(st.get(_w("styleId")))
    return out


def _redline_paragraph(text: str, like, numbered: set[str], date: str):
    """A new paragraph whose mark and text are tracked insertions, formatted like `like` (no numbering)."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p = OxmlElement("w:p")
    ppr = OxmlElement("w:pPr")
    src = like.find(PPR) if like is not None else None
    for tag in _PPR_COPY:
        el = src.find(_w(tag)) if src is not None else None
        if el is not None and not (tag == "pStyle" and el.get(VAL) in numbered):
            ppr.append(copy.deepcopy(el))
    mark = OxmlElement("w:rPr")
    ins_mark = OxmlElement("w:ins")
    mark.append(ins_mark)
    ppr.append(mark)
    p.append(ppr)
    ins = OxmlElement("w:ins")
    r = OxmlElement("w:r")
    model = None
    if like is not None:
        for run in _runs(like):
            if run.find(T) is not None:
                model = run.find(RPR)
    if model is not None:
        rpr = OxmlElement("w:rPr")
        for tag in _RPR_COPY:
            el = model.find(_w(tag))
            if el is not None:
                rpr.append(copy.deepcopy(el))
        if len(rpr):
            r.append(rpr)
    t = OxmlElement("w:t")
    t.text = text
    _preserve(t)
    r.append(t)
    ins.append(r)
    p.append(ins)
    for el in (ins_mark, ins):
        el.set(qn("w:author"), AUTHOR)
        el.set(qn("w:date"), date)
    return p, r, (ins_mark, ins)


# --- the whole thing --------------------------------------------------------------------------------

def annotate_docx(original_bytes: bytes, review: dict, redline: bool = False) -> bytes:
    """The reviewed .docx with the review as comments (and, with `redline`, suggestions as tracked
    insertions). Raises AnnotateError when the bytes are not a .docx python-docx can open or are not
    the file the review was made of; nlp.DocumentError when nlp cannot read them."""
    import docx
    from nlp import read_document

    sha = review.get("document", {}).get("sha256")
    if sha and sha != hashlib.sha256(original_bytes).hexdigest():
        raise AnnotateError("审查结果与所给文件不符，无法在原稿上批注。",
                            "The review was made of a different file than the one given.")
    try:
        document = docx.Document(io.BytesIO(original_bytes))
    except Exception as e:  # not a .docx main part (.docm/.dotx), or damaged
        raise AnnotateError("无法在此文件上添加批注（仅支持 .docx 格式的Word文档）。",
                            f"Cannot annotate this file; only Word .docx documents are supported "
                            f"({type(e).__name__}).") from None
    doc = read_document(original_bytes, review.get("document", {}).get("name") or "draft.docx")
    body = document.element.find(BODY)
    stream = _Stream(body)
    aligner = _Aligner(doc, stream)

    # 1. where every comment goes
    anchors: list[tuple[tuple[int, int], str, list[str]]] = []
    unplaced: list[dict] = []
    for f in review["findings"]:
        if f["status"] not in ANNOTATED:
            continue
        placed = False
        for ev in f["evidence"]:
            span, exact = aligner.locate(ev)
            if span is None:
                continue
            head, lines = _finding_comment(f, ev, exact, review)
            anchors.append((_snap(stream, *span), head, lines))
            placed = True
        if not placed:
            unplaced.append(f)
    first = next(((a, b) for _p, a, b in stream.paras if b > a), None)
    if first is None:
        raise AnnotateError("文档中没有可以批注的文字。", "The document has no text to comment on.")
    head, lines = _summary_comment(review, unplaced, redline)
    anchors.insert(0, (first, head, lines))

    # 2. where every suggestion goes (decided on the unsplit draft: splitting keeps paragraphs)
    inserts = []
    if redline:
        for f in review["findings"]:
            if f["status"] not in REDLINED or not f.get("suggestion"):
                continue
            ev = f["evidence"][0] if f["evidence"] else f.get("nearest")
            if ev:
                after = aligner.article_end_paragraph((ev.get("location") or {}).get("start", 0))
            else:
                after = aligner.body_end_paragraph()
            inserts.append((f, after))

    # 3. split runs, then mark the ranges on the re-read (identical) stream
    _split_for(stream, [span for span, _h, _l in anchors])
    stream = _Stream(body)
    styled = "CommentReference" in {s.style_id for s in document.styles}
    for (a, b), head, lines in anchors:
        comment = _add_comment(document, head, lines)
        _mark(stream.units[a].run, stream.units[b - 1].run, comment.comment_id, styled)

    # 4. tracked insertions, in finding order after each article (or before the final section properties)
    if inserts:
        date = _now()
        numbered = _numbered_styles(document)
        last_after: dict[int, object] = {}
        revisions = []
        final = body.find(SECTPR)
        for f, after in inserts:
            like = after
            if after is None:
                paras = [p for p, a, b in stream.paras if b > a]
                like = paras[-1] if paras else None
            p, run, revs = _redline_paragraph(f["suggestion"], like, numbered, date)
            top = _top_level(after, body) if after is not None else None
            key = id(top)
            prev = last_after.get(key, top)
            if prev is not None:
                prev.addnext(p)
            elif final is not None and final.getparent() is body:
                final.addprevious(p)
            else:
                body.append(p)
            last_after[key] = p
            comment = _add_comment(document, f"{TOOL} 建议补充：{f['title']}",
                                   [f"对应要求：{f['title']}（{STATUS_ZH[f['status']]}，"
                                    f"严重程度：{SEVERITY_ZH[f['severity']]}）",
                                    "此段为建议措辞，以修订形式插入，可接受或拒绝。"])
            _mark(run, run, comment.comment_id, styled)
            revisions.extend(revs)
        next_id = max((int(v) for v in (el.get(ID) for el in body.iter()) if v and v.lstrip("-").isdigit()),
                      default=0)
        next_id = max([next_id, *(c.comment_id for c in document.comments)]) + 1
        for el in revisions:
            el.set(ID, str(next_id))
            next_id += 1

    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def annotate_job(original_bytes: bytes, review: dict, redline: bool = False) -> dict:
    """The unit of work for the server's worker pool: {"docx": bytes}, or {"error": class name} when the
    draft cannot be annotated (errors come back as data: they cross a process boundary)."""
    try:
        return {"docx": annotate_docx(original_bytes, review, redline=redline)}
    except Exception as exc:  # AnnotateError, nlp.DocumentError, or a draft the annotator trips on
        return {"error": type(exc).__name__}
