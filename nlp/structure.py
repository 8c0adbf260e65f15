"""Contract structure: chapters, articles, clauses, items and attachments, nested, with offsets.

Contracts number their parts in different schemes (第X章/第X条/1./（1）, 一、/（一）/1./（1）,
1/1.1/1.1.1 …) and the same scheme sits at different depths in different contracts, so the depth of a
scheme is read from the document, not fixed:

* the first item of a list (numbered 1/一/①) placed right under a heading of another scheme is
  evidence that its scheme nests under that heading's scheme; the majority decides;
* where a contract gives no evidence, the usual Chinese order applies (章 > 条 > 一、 > （一） > 1. > （1） > ①),
  and 第X章 always encloses 第X条, 1 encloses 1.1 encloses 1.1.1.

Relying on evidence rather than "whichever scheme comes first" matters for recitals: a 鉴于 list
numbered 1. 2. 3. comes before 一、 and would otherwise swallow the whole contract, so the parser puts
such a list under a 鉴于 heading of its own.

Each attachment is read as a document of its own (its numbering restarts). Table rows ("1｜云主机｜…")
are never labels, and （以下无正文） or a signature line ends whatever is open, so the last article does
not run into the signature block.

`parse_sections` returns a flat list (children empty, so `Document.to_dict()` does not repeat the
tree); `build_tree` nests copies of it; `article_at` gives the label a lawyer cites for an offset and
`article_of` the whole article of such a citation.
"""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, replace
from functools import lru_cache

from .model import Paragraph, Section

# ---------------------------------------------------------------------------------------------
# Numerals

_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7,
             "八": 8, "九": 9}
_CN = "一二三四五六七八九十百零〇两"


def cn_to_int(s: str) -> int | None:
    """一 -> 1, 十二 -> 12, 二十 -> 20, 一百零五 -> 105; None for anything that is not a numeral."""
    if not s:
        return None
    if s.isdigit():
        return int(s)
    total, digit = 0, None
    for ch in s:
        if ch in _CN_DIGIT:
            if digit is not None and digit != 0:
                return None  # 二三 is not a numeral
            digit = _CN_DIGIT[ch]
        elif ch == "十":
            total += (digit if digit else 1) * 10
            digit = None
        elif ch == "百":
            if not digit:
                return None
            total += digit * 100
            digit = None
        else:
            return None
    return total + (digit or 0)


# ---------------------------------------------------------------------------------------------
# Label recognition

# Schemes in the usual Chinese order of depth; the order is the fallback when a contract gives no
# evidence of its own.
PART, CHAPTER, SUBCHAPTER = "part", "chapter", "subchapter"  # 第X编/部分, 第X章, 第X节
DEC1, ARTICLE, DEC2, DEC3, DEC4 = "dec1", "article", "dec2", "dec3", "dec4"  # 1 / 第X条 / 1.1 …
CN_DUN, CN_PAREN = "cn_dun", "cn_paren"  # 一、  （一）
NUM_DOT, NUM_PAREN, NUM_HALF, CIRCLED = "num_dot", "num_paren", "num_half", "circled"  # 1. （1） 1） ①
ATTACHMENT, RECITALS = "attachment", "recitals"  # 附件一; 鉴于 (a heading the parser adds itself)
CANONICAL = [PART, CHAPTER, SUBCHAPTER, DEC1, ARTICLE, DEC2, DEC3, DEC4, CN_DUN, CN_PAREN, NUM_DOT,
             NUM_PAREN, NUM_HALF, CIRCLED]
_HEADINGS = {PART, CHAPTER, SUBCHAPTER}  # always above every numbered scheme
_CHAINS = [[PART, CHAPTER, SUBCHAPTER, ARTICLE], [DEC1, DEC2, DEC3, DEC4]]
_CHAPTER_LIKE = _HEADINGS | {DEC1}
_DEFAULT_LEVEL = {PART: "chapter", CHAPTER: "chapter", SUBCHAPTER: "chapter", DEC1: "chapter",
                  ARTICLE: "article", DEC2: "article", DEC3: "clause", DEC4: "item", CN_DUN: "clause",
                  CN_PAREN: "clause", NUM_DOT: "item", NUM_PAREN: "item", NUM_HALF: "item",
                  CIRCLED: "item", ATTACHMENT: "attachment", RECITALS: "article"}

_LEAD = re.compile(r"^[\s#>*]*")  # Markdown headings, quotes and bold around a label
_NUM = rf"(?:[{_CN}]{{1,5}}|\d{{1,3}})"
_ATTACH = re.compile(r"^附\s*件\s*(?P<n>[一二三四五六七八九十\d]{0,3})(?P<rest>.*)$")
_CHAP = re.compile(rf"^第\s*(?P<n>{_NUM})\s*(?P<kind>章|编|节|部分)(?P<rest>.*)$")
_ART = re.compile(rf"^第\s*(?P<n>{_NUM})\s*条(?P<rest>.*)$")
_DEC = re.compile(r"^(?P<n>\d{1,2}(?:[.．]\d{1,2}){1,3})[.．]?(?P<rest>.*)$")
_BARE = re.compile(r"^(?P<n>\d{1,2})[ \u3000]+(?P<rest>[\u4e00-\u9fff][^。；，,;：:]{0,24})$")
_CN_DUN = re.compile(r"^(?P<n>[一二三四五六七八九十]{1,3})\s*[、．.](?P<rest>.*)$")
_CN_PAREN = re.compile(r"^[（(]\s*(?P<n>[一二三四五六七八九十]{1,3})\s*[）)](?P<rest>.*)$")
_NUM_DOT = re.compile(r"^(?P<n>\d{1,2})(?:[.．](?!\d)|、)(?P<rest>.*)$")
_NUM_PAREN = re.compile(r"^[（(]\s*(?P<n>\d{1,2})\s*[）)](?P<rest>.*)$")
_NUM_HALF = re.compile(r"^(?P<n>\d{1,2})[)）](?P<rest>.*)$")
_CIRCLED = re.compile(r"^(?P<n>[①-⑳])(?P<rest>.*)$")

# "第五条约定的…", "第三条至第五条": a paragraph that opens with a reference, not a heading
_REFERENCE = re.compile(r"^\s*(?:约定|规定|所|的|中|第|至|、|和|及|或|项下|之|款|内容)")
# "1.5万元", "99.9%", "2.5条": a number with a unit is an amount, not a clause number
_UNIT = re.compile(r"^(?:%|％|‰|万|亿|千|百|元|倍|年|月|日|天|周|小时|分钟|秒|个|条|款|项|版|折|[KMGTP]B?\b|"
                   r"Gbps|Mbps|米|公里|kg|℃|°|[)）。，,、；;])")
_SENTENCE_END = re.compile(r"[。；;]")
_TERMINATOR_SEAL = re.compile(r"[（(](?:盖章|签字|签章|公章|签名)[）)]")


@dataclass
class Mark:
    """A numbering label at the start of a paragraph."""

    scheme: str
    label: str  # cleaned label as a lawyer writes it: 第十二条, 1.2, 二, （三）, 1, （2）, ①, 附件一
    value: int  # position in its list (1 for the first item), for telling a list's start
    rest: str  # the paragraph text after the label


def _clean(text: str) -> str:
    return _LEAD.sub("", text).replace("**", "").strip()


def _mark(text: str) -> Mark | None:
    t = _clean(text)
    if not t:
        return None
    if m := _ATTACH.match(t):
        rest = m.group("rest")
        # 附件与本协议具有同等法律效力 / 附件一《服务清单》所列…。 are sentences about attachments
        if (rest and rest[0] not in "：: \u3000《（(—-－.、") or _SENTENCE_END.search(rest) or len(t) > 60:
            return None
        n = m.group("n")
        return Mark(ATTACHMENT, "附件" + n, cn_to_int(n) or 1 if n else 1, rest)
    if m := _CHAP.match(t):
        n, rest = m.group("n"), m.group("rest")
        if cn_to_int(n) is None or _REFERENCE.match(rest) or "。" in rest or len(rest) > 40:
            return None
        scheme = {"章": CHAPTER, "节": SUBCHAPTER}.get(m.group("kind"), PART)
        return Mark(scheme, f"第{n}{m.group('kind')}", cn_to_int(n), rest)
    if m := _ART.match(t):
        n, rest = m.group("n"), m.group("rest")
        if cn_to_int(n) is None or _REFERENCE.match(rest):
            return None
        return Mark(ARTICLE, f"第{n}条", cn_to_int(n), rest)
    if m := _DEC.match(t):
        n, rest = m.group("n").replace("．", "."), m.group("rest")
        if _is_number_text(rest):
            return None
        parts = n.split(".")
        return Mark((DEC2, DEC3, DEC4)[len(parts) - 2], n, int(parts[-1]), rest)
    if m := _BARE.match(t):
        # "1 总则": a heading only if the contract also has 1.1-style numbers (checked later)
        return Mark(DEC1, str(int(m.group("n"))), int(m.group("n")), m.group("rest"))
    if m := _CN_DUN.match(t):
        v = cn_to_int(m.group("n"))
        return Mark(CN_DUN, m.group("n"), v, m.group("rest")) if v else None
    if m := _CN_PAREN.match(t):
        v = cn_to_int(m.group("n"))
        return Mark(CN_PAREN, f"（{m.group('n')}）", v, m.group("rest")) if v else None
    if m := _NUM_DOT.match(t):
        if _is_number_text(m.group("rest")):
            return None
        return Mark(NUM_DOT, str(int(m.group("n"))), int(m.group("n")), m.group("rest"))
    if m := _NUM_PAREN.match(t):
        return Mark(NUM_PAREN, f"（{int(m.group('n'))}）", int(m.group("n")), m.group("rest"))
    if m := _NUM_HALF.match(t):
        if _is_number_text(m.group("rest")):
            return None
        return Mark(NUM_HALF, f"{int(m.group('n'))}）", int(m.group("n")), m.group("rest"))
    if m := _CIRCLED.match(t):
        return Mark(CIRCLED, m.group("n"), ord(m.group("n")) - 0x2460 + 1, m.group("rest"))
    return None


def _is_number_text(rest: str) -> bool:
    """After a would-be label: another digit or a unit means the "label" was part of a number."""
    return bool(rest) and (rest[0].isdigit() or bool(_UNIT.match(rest)))


def label_of(text: str) -> tuple[str, str] | None:
    """(level, label) of a paragraph that opens with a numbering label, judged on its own.

    The level is the usual one for the scheme; inside a document `parse_sections` decides the level
    from the document's own nesting.
    """
    m = _mark(text)
    return (_DEFAULT_LEVEL[m.scheme], m.label) if m else None


def is_table_row(p: Paragraph) -> bool:
    t = p.text
    return p.kind == "table_row" or t.count("｜") + t.count("|") >= 2 or t.strip().count("\t") >= 2


def _is_terminator(text: str) -> bool:
    """The end of a body: （以下无正文） or a signature line; the last article does not run into it."""
    t = text.strip()
    if "以下无正文" in t and len(t) <= 30:
        return True
    return len(t) <= 60 and not t.endswith("。") and bool(_TERMINATOR_SEAL.search(t))


def _title(rest: str) -> str:
    rest = rest.strip().lstrip("：:、.．　 ").replace("**", "")
    return re.split(r"[。；;：:]", rest, maxsplit=1)[0].strip()[:40]


def _title_like(rest: str) -> bool:
    r = rest.strip()
    return len(r) <= 25 and not re.search(r"[。；;，,]", r)


def _opens_list(rest: str) -> bool:
    """A heading ("第二条 定义") or an introducing sentence ("…下列信息：") under which a list starts."""
    r = rest.rstrip()
    return r.endswith(("：", ":")) or _title_like(r)


# ---------------------------------------------------------------------------------------------
# Hierarchy


@dataclass
class _Node:
    mark: Mark
    para: Paragraph
    rank: int = 0
    start: int = 0
    end: int = 0
    parent: "_Node | None" = None


def _reclassify_decimals(region: list[tuple[Paragraph, Mark]]) -> list[tuple[Paragraph, Mark]]:
    """In a 1/1.1/1.1.1 contract, "1 总则" and "2. 服务期限" are level-1 headings, not items.

    A "N." is a heading when 1.1-style numbers start with N and it reads like a title, or when it
    continues the run of headings (the one before was N-1) and is not the next item of a list.
    """
    prefixes = {m.label.split(".")[0] for _, m in region if m.scheme in (DEC2, DEC3, DEC4)}
    if not prefixes:
        # "3 总则" without any 3.1: not evidently a heading, leave it as text
        return [(p, m) for p, m in region if m.scheme != DEC1]
    out: list[tuple[Paragraph, Mark]] = []
    expected, prev = 1, None
    for p, m in region:
        if m.scheme == NUM_DOT:
            titled = m.label in prefixes and _title_like(m.rest)
            next_item = prev is not None and prev.scheme == NUM_DOT and prev.value == m.value - 1
            in_run = m.value == expected and not next_item
            if titled or in_run:
                m = replace(m, scheme=DEC1)
        if m.scheme == DEC1:
            expected = m.value + 1
        out.append((p, m))
        prev = m
    return out


def _drop_implausible_decimals(region: list[tuple[Paragraph, Mark]]) -> list[tuple[Paragraph, Mark]]:
    """'12.30前完成' at a paragraph start looks like 12.30; real decimal numbers come in sequence."""
    seen: set[str] = set()
    out = []
    for p, m in region:
        if m.scheme in (DEC2, DEC3, DEC4):
            parts = m.label.split(".")
            prefix, last = ".".join(parts[:-1]), int(parts[-1])
            if last != 1 and not any(f"{prefix}.{k}" in seen for k in range(max(1, last - 3), last)):
                continue
            seen.add(m.label)
        out.append((p, m))
    return out


def _rank_schemes(region: list[tuple[Paragraph, Mark]]) -> dict[str, int]:
    """Order the schemes of one region (the body or one attachment) from outermost to innermost."""
    schemes = []
    for _, m in region:
        if m.scheme not in schemes:
            schemes.append(m.scheme)
    evidence: dict[tuple[str, str], int] = {}
    for (_, prev), (_, cur) in zip(region, region[1:]):
        if cur.value == 1 and cur.scheme != prev.scheme and _opens_list(prev.rest):
            key = (prev.scheme, cur.scheme)
            evidence[key] = evidence.get(key, 0) + 1

    def above(a: str, b: str) -> bool:
        if a in _HEADINGS or b in _HEADINGS:
            if not (a in _HEADINGS and b in _HEADINGS):
                return a in _HEADINGS
        for chain in _CHAINS:
            if a in chain and b in chain:
                return chain.index(a) < chain.index(b)
        ab, ba = evidence.get((a, b), 0), evidence.get((b, a), 0)
        if ab != ba:
            return ab > ba
        return CANONICAL.index(a) < CANONICAL.index(b)

    # Copeland ordering: robust to the odd contradictory pair of evidence
    score = {a: sum(above(a, b) for b in schemes if b != a) for a in schemes}
    order = sorted(schemes, key=lambda s: (-score[s], CANONICAL.index(s)))
    for chain in _CHAINS:  # the fixed chains hold whatever the scores say
        present = [s for s in order if s in chain]
        slots = [i for i, s in enumerate(order) if s in chain]
        for i, s in zip(slots, sorted(present, key=chain.index)):
            order[i] = s
    return {s: i for i, s in enumerate(order)}


def _regions(paragraphs: list[Paragraph]) -> list[list[tuple[Paragraph, Mark | None]]]:
    """Split into the body and each attachment; unlabelled paragraphs are kept (mark None)."""
    regions: list[list[tuple[Paragraph, Mark | None]]] = [[]]
    for p in paragraphs:
        if is_table_row(p):
            continue
        m = _mark(p.text)
        if m and m.scheme == ATTACHMENT:
            regions.append([])
        regions[-1].append((p, m))
    return regions


def _nodes(paragraphs: list[Paragraph]) -> list[_Node | Paragraph]:
    """Labelled nodes with their ranks, in text order, with terminator paragraphs in between."""
    events: list[_Node | Paragraph] = []
    for region in _regions(paragraphs):
        attachment = None
        if region and region[0][1] and region[0][1].scheme == ATTACHMENT:
            attachment, region = region[0], region[1:]
        marked = [(p, m) for p, m in region if m]
        marked = _drop_implausible_decimals(_reclassify_decimals(marked))
        rank = _rank_schemes(marked)
        keep = {id(p): m for p, m in marked}
        if attachment:
            events.append(_Node(attachment[1], attachment[0], rank=-1))
        top = min(rank.values(), default=0)
        first_top = next((i for i, (p, _) in enumerate(region) if id(p) in keep and rank[keep[id(p)].scheme] == top),
                         len(region))
        recitals_at = _recitals_heading(region[:first_top], keep)
        for i, (p, _) in enumerate(region):
            if i == recitals_at:
                events.append(_Node(Mark(RECITALS, "鉴于", 1, p.text), p, rank=top))
            if id(p) in keep:
                m = keep[id(p)]
                # a preamble list under 鉴于 sits one step below the 鉴于 heading
                in_recitals = recitals_at is not None and recitals_at < i < first_top
                events.append(_Node(m, p, rank=max(rank[m.scheme], top + 1) if in_recitals else rank[m.scheme]))
            elif _is_terminator(p.text):
                events.append(p)
    return events


def _recitals_heading(preamble: list[tuple[Paragraph, Mark | None]], keep: dict) -> int | None:
    """Index of a 鉴于 paragraph followed by numbered recitals before the first top-level label."""
    # The first 鉴于 before the last labelled paragraph: one pass (asking "is a label after it?" for
    # every 鉴于 paragraph was quadratic on a preamble of thousands of them).
    last_kept = max((i for i, (p, _) in enumerate(preamble) if id(p) in keep), default=-1)
    for i, (p, _) in enumerate(preamble[:last_kept]):
        if id(p) not in keep and _clean(p.text).startswith("鉴于"):
            return i
    return None


def _build(paragraphs: list[Paragraph], text_len: int) -> list[_Node]:
    nodes: list[_Node] = []
    stack: list[_Node] = []

    def close(until_rank: float, at: int) -> None:
        while stack and stack[-1].rank >= until_rank:
            stack.pop().end = at

    for ev in _nodes(paragraphs):
        if isinstance(ev, Paragraph):  # a terminator closes everything open
            close(float("-inf"), ev.start)
            continue
        close(ev.rank, ev.para.start)
        ev.start, ev.end = ev.para.start, text_len
        ev.parent = stack[-1] if stack else None
        stack.append(ev)
        nodes.append(ev)
    for n in stack:
        n.end = text_len
    return nodes


def _level(n: _Node) -> str:
    if n.mark.scheme == ATTACHMENT:
        return "attachment"
    if n.mark.scheme in _CHAPTER_LIKE:
        return "chapter"
    depth, a = 0, n.parent
    while a is not None:
        if a.mark.scheme not in _CHAPTER_LIKE and a.mark.scheme != ATTACHMENT:
            depth += 1
        a = a.parent
    return ("article", "clause", "item")[min(depth, 2)]


def parse_sections(paragraphs: list[Paragraph], text_len: int) -> list[Section]:
    """Every labelled part in text order, flat; each ends where the next part not inside it begins."""
    out = []
    for n in _build(paragraphs, text_len):
        title = "鉴于" if n.mark.scheme == RECITALS else _title(n.mark.rest)
        out.append(Section(level=_level(n), label=n.mark.label, title=title, start=n.start, end=n.end,
                           page=n.para.page))
    return out


def build_tree(flat: list[Section]) -> list[Section]:
    """Nest copies of a flat section list by containment; the flat list is left as it was."""
    roots: list[Section] = []
    stack: list[Section] = []
    for s in flat:
        node = replace(s, children=[])
        while stack and not (stack[-1].start <= node.start and node.end <= stack[-1].end):
            stack.pop()
        (stack[-1].children if stack else roots).append(node)
        stack.append(node)
    return roots


# ---------------------------------------------------------------------------------------------
# Citations


def _scheme_of(s: Section) -> str:
    """Recover a section's scheme from its label (every scheme writes its labels differently)."""
    return _scheme(s.label, s.level == "chapter")


_LABEL_CHAP = re.compile(rf"第{_NUM}(章|编|节|部分|条)")
_LABEL_DEC = re.compile(r"\d+(\.\d+)+")
_LABEL_CN = re.compile(rf"[{_CN}]+")
_LABEL_CN_PAREN = re.compile(rf"（[{_CN}]+）")
_LABEL_NUM_PAREN = re.compile(r"（\d+）")
_LABEL_NUM_HALF = re.compile(r"\d+）")


@lru_cache(maxsize=4096)
def _scheme(lab: str, chapter: bool) -> str:
    # Called a dozen times per section while citing: labels repeat, so the answer is cached.
    if lab.startswith("附件"):
        return ATTACHMENT
    if lab == "鉴于":
        return RECITALS
    if m := _LABEL_CHAP.fullmatch(lab):
        return {"章": CHAPTER, "节": SUBCHAPTER, "条": ARTICLE}.get(m.group(1), PART)
    if _LABEL_DEC.fullmatch(lab):
        return (DEC2, DEC3, DEC4)[min(lab.count("."), 3) - 1]
    if lab.isdigit():
        return DEC1 if chapter else NUM_DOT
    if _LABEL_CN.fullmatch(lab):
        return CN_DUN
    if _LABEL_CN_PAREN.fullmatch(lab):
        return CN_PAREN
    if _LABEL_NUM_PAREN.fullmatch(lab):
        return NUM_PAREN
    if _LABEL_NUM_HALF.fullmatch(lab):
        return NUM_HALF
    return CIRCLED


_ANCHORS = {ARTICLE, DEC2, DEC3, DEC4, RECITALS}  # labels that identify a passage on their own


def _inner(path: list[Section]) -> list[Section]:
    return [x for x in path if _scheme_of(x) != ATTACHMENT]


def _cite_path(path: list[Section], in_attachment: bool = False) -> str:
    """Root-to-leaf path -> citation: 第十二条, 第十条第4项, 二（三）, 1.2.3, 鉴于第2项.

    In an attachment a top-level 一、 reads 第一条, since 附件 + 一 would read as 附件一."""
    inner = [s for s in path if _scheme_of(s) not in _CHAPTER_LIKE | {ATTACHMENT}]
    if not inner:
        return path[-1].label if _scheme_of(path[-1]) != DEC1 else f"第{path[-1].label}条"
    schemes = [_scheme_of(s) for s in inner]
    at = max((i for i, sc in enumerate(schemes) if sc in _ANCHORS), default=0)
    anchor, tail = inner[at], inner[at + 1:]
    kind = schemes[at]
    # a top-level "1." in a contract without 第X条 is cited like an article: 第1条
    as_article = at == 0 and (kind == NUM_DOT or (kind == CN_DUN and in_attachment))
    article_like = kind in (ARTICLE, RECITALS) or as_article
    cite = f"第{anchor.label}条" if as_article else anchor.label
    for j, s in enumerate(tail):
        if article_like and j == 0:
            cite += f"第{s.label}项"  # 第十条第4项, 第七条第（2）项
        elif article_like and j == 1:
            cite += f"第{s.label}目"
        else:
            cite += s.label  # 二（三）1（2）, 1.2.3（1）
    return cite


def _disambiguate(cites: list[str], paths: list[list[Section]]) -> list[str]:
    """Contracts that restart 第一条 in every chapter: prefix the chapter (第二章第一条) where needed."""
    region = [id(p[0]) if _scheme_of(p[0]) == ATTACHMENT else None for p in paths]
    count: dict[tuple, int] = {}
    for c, r in zip(cites, region):
        count[(r, c)] = count.get((r, c), 0) + 1
    own = {id(p[-1]): (r, c) for c, r, p in zip(cites, region, paths)}
    out = []
    for c, p in zip(cites, paths):
        # the passage is ambiguous when it, or the article it sits in, shares its citation
        if any(count[own[id(x)]] > 1 for x in p):
            heads = "".join(x.label for x in p[:-1] if _scheme_of(x) in _HEADINGS)
            c = heads + c if heads and not c.startswith(heads) else c
        out.append(c)
    return out


@dataclass
class _Index:
    sections: list[Section]
    size: int
    starts: list[int]
    cites: list[str]
    parents: list[int]  # index of the enclosing section, -1 at the top


_cache: _Index | None = None


def _index(sections: list[Section]) -> _Index:
    """Citations of every section, computed once per section list (article_at runs per sentence)."""
    global _cache
    if _cache is not None and _cache.sections is sections and _cache.size == len(sections):
        return _cache
    paths: list[list[Section]] = []
    stack: list[Section] = []
    at: list[int] = []  # indexes of the sections on the stack
    parents: list[int] = []
    for i, s in enumerate(sections):
        while stack and not (stack[-1].start <= s.start and s.end <= stack[-1].end):
            stack.pop()
            at.pop()
        parents.append(at[-1] if at else -1)
        stack.append(s)
        at.append(i)
        paths.append(list(stack))
    raw = _disambiguate([_cite_path(_inner(p) or p) for p in paths], paths)
    body = {c for c, p in zip(raw, paths) if _scheme_of(p[0]) != ATTACHMENT}
    cites = []
    for c, p in zip(raw, paths):
        if _scheme_of(p[0]) == ATTACHMENT and len(p) > 1:
            inner = _inner(p)
            if not inner:
                c = p[0].label
            # an attached agreement's own 第五条 is cited as such unless the body has a 第五条 too
            elif not (_scheme_of(inner[0]) == ARTICLE and c not in body):
                c = p[0].label + _cite_path(inner, in_attachment=True)  # 附件二第1条, 附件一3.2
        cites.append(c)
    _cache = _Index(sections, len(sections), [s.start for s in sections], cites, parents)
    return _cache


def article_at(sections: list[Section], offset: int) -> str | None:
    """The label a lawyer cites for the passage at `offset`: 第十二条, 第十条第4项, 二（三）, 1.2.3, 附件一."""
    if not sections:
        return None
    idx = _index(sections)
    i = bisect_right(idx.starts, offset) - 1
    # Sections nest, so one that started earlier and still contains the offset encloses the last one
    # started: walk up the enclosing sections (a few levels) instead of back through every section
    # (after a terminator, every sentence of a long tail would scan them all).
    while i >= 0:
        s = sections[i]
        if s.start <= offset < s.end:
            return idx.cites[i]
        i = idx.parents[i]
    return None


def display_label(s: Section) -> str:
    """The label as printed in the contract: 一、 and 1. keep their punctuation."""
    scheme = _scheme_of(s)
    if scheme == CN_DUN:
        return s.label + "、"
    if scheme == NUM_DOT:
        return s.label + "."
    return s.label


_WHOLE_ARTICLE = re.compile(rf"^(.*?第[^第]+条|鉴于|[{_CN}]+(?=（|\d|$))")


def article_of(cite: str | None) -> str | None:
    """The whole article a citation lies in, for 本条/前款: 第十条第4项 -> 第十条, 二（三）1 -> 二,
    附件二第1条第（2）项 -> 附件二第1条, 鉴于第2项 -> 鉴于; 1.2.3 stays 1.2.3."""
    if not cite:
        return cite
    m = _WHOLE_ARTICLE.match(cite)
    return m.group(1) if m else cite
