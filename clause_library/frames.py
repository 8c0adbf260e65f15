"""A clause read as a frame: who (actor) must or may (modality, negation) do what (act), to what
(object), where, when, for whom, for which purpose, under which condition and with which exceptions.
Rules decide over frames; `clausecheck explain` prints them."""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import asdict, dataclass, field
from functools import lru_cache

from .lexicon import find_concepts

# The slots a frame reports, each a concept of lexicon.yaml.
SLOTS = {
    "object": ["customer-data", "account-data", "provider-content", "generated-data"],
    "place": ["domestic", "foreign"],
    "time": ["end-of-service", "arrears", "window", "promptly", "irrecoverable"],
    "recipient": ["authority"],
    "purpose": ["own-purpose", "third-parties"],
    "disclaimer": ["disclaim", "force-majeure", "security-incident", "data-loss", "customer-fault"],
}


@dataclass
class Frame:
    passage: int
    act: str  # the words the signal's first pattern matched
    act_start: int  # where in the passage
    actor: list[str]  # roles of the subject of the governing verb (empty: none named)
    modality: str  # duty | ban | permission | statement | negated
    modal_word: str
    inherited: bool = False  # verb and subject taken from a "…如下：" lead-in
    hedges: list[str] = field(default_factory=list)
    exceptions: list[tuple[str, str]] = field(default_factory=list)  # (kind, text)
    slots: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def read_frame(ctx, p, pos: int, act: str) -> Frame:
    facts = ctx.analyzer.facts(p.text)
    marker = facts.governing(pos)
    inherited = False
    if marker is None and p.lead_in is not None:
        # a list item under "乙方应履行下列义务：" takes the lead-in's verb and subject
        lead = ctx.passages[p.lead_in]
        lf = ctx.analyzer.facts(lead.text)
        marker = lf.markers[0] if lf.markers else None
        actor = lf.subject_of(marker, len(lead.text))
        inherited = True
    else:
        actor = ctx.subject(p, facts, marker, pos)
    hedges = facts.hedges_for(marker if marker and not inherited else None, pos)
    return Frame(
        passage=p.index, act=act, act_start=pos, actor=sorted(actor), modality=marker.kind if marker else "statement",
        modal_word=marker.text if marker else "", inherited=inherited, hedges=list(dict.fromkeys(hedges)),
        exceptions=[(e.kind, e.text) for e in facts.exceptions])


def fill_slots(ctx, frame: Frame) -> Frame:
    """The concept slots, tagged on the same word boundaries that gate the act (on_words); a
    concept found only across them is kept by the substring fallback and marked with "~". Read when
    someone asks (explanations)."""
    p = ctx.passages[frame.passage]
    text = ctx.expanded(p)
    roles = ctx.analyzer.role_patterns
    slots: dict[str, dict[str, list[str]]] = {}
    for slot, ids in SLOTS.items():
        found = find_concepts(text, ids, roles, spans=True)
        if found:
            slots[slot] = {cid: list(dict.fromkeys(
                w if (s >= len(p.text) or (e <= len(p.text) and on_words(ctx, p, s, e))) else w + "~" for w, s, e in hits))
                for cid, hits in found.items()}
    from nlp.deadlines import find_deadlines

    deadlines = [f"{d.text}={'立即' if d.kind == 'immediate' else '及时' if d.kind == 'prompt' else f'{d.hours:g}h'}"
                 for d in find_deadlines(p.text)]
    if deadlines:
        slots.setdefault("time", {})["deadline"] = deadlines
    frame.slots = slots
    return frame


def on_words(ctx, p, start: int, end: int) -> bool:
    """Whether [start, end) of a passage begins and ends where words begin and end: jieba's
    search-mode segmentation (so a word inside a compound, such as 总库 in 数字档案资源总库, counts),
    every non-CJK boundary, and - the substring fallback for terms the segmenter splits (可用区 cut
    可用/区内) - the end of any term of the lexicon or the rules that begins where a word begins. A
    term that begins inside another word (国内 in 中国内地) gets no such help.

    jieba segments each run of Han characters, letters and digits on its own, so only the run that
    holds an edge is segmented - once per distinct run, whatever the document - and every position
    outside a run (punctuation, spaces) is a boundary."""
    return _edge_ok(ctx, p, start, 0) and _edge_ok(ctx, p, end, 1)


def _runs(ctx, p) -> list[tuple[int, int]]:
    cache = ctx.__dict__.setdefault("_runs", {})
    if p.index not in cache:
        cache[p.index] = [m.span() for m in _HAN_RUN.finditer(p.text)]
    return cache[p.index]


def _edge_ok(ctx, p, pos: int, side: int) -> bool:
    runs = _runs(ctx, p)
    i = bisect_right(runs, (pos, len(p.text) + 1)) - 1
    if i < 0 or not runs[i][0] < pos < runs[i][1]:
        return True  # at a run's edge, or amid punctuation and spaces, where every position is a boundary
    b0, b1 = runs[i]
    return pos - b0 in _run_bounds(p.text[b0:b1])[side]


# jieba's own block pattern (re_han_default): it segments each such run independently
_HAN_RUN = re.compile(r"[\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]+")


@lru_cache(maxsize=65536)
def _run_bounds(run: str) -> tuple[frozenset, frozenset]:
    from nlp.segment import search_tokens

    starts, ends = {0, len(run)}, {0, len(run)}
    for _, s, e in search_tokens(run):
        starts.add(s)
        ends.add(e)
    for m in _NON_CJK.finditer(run):
        starts.update((m.start(), m.end()))
        ends.update((m.start(), m.end()))
    for m in _term_rx().finditer(run):
        if m.start() in starts:
            ends.add(m.start() + len(m.group(1)))
    return frozenset(starts), frozenset(ends)


def library_terms() -> tuple[str, ...]:
    """Every literal Chinese word the lexicon and the rules name (runs of CJK characters between
    regex operators), so segmentation never splits a term the rules look for."""
    # The built-in pack's terms only: a rule pack must never move the word boundaries the built-in
    # rules are judged on (a pack's term that jieba splits still matches where a word begins,
    # through the search-mode tokens).
    from .packs import builtin_library

    lib = builtin_library()
    return _terms(lib.version, ())


@lru_cache(maxsize=2)
def _terms(version: str, _ids: tuple) -> tuple[str, ...]:
    from .lexicon import lexicon
    from .packs import builtin_library

    sources = [str(w) for c in lexicon()["concepts"].values() for w in c["words"]]
    for rule in builtin_library().rules.values():
        for sig in rule.signals:
            sources += sig.all
            for el in sig.elements.values():
                sources += el.any
    found = set()
    for src in sources:
        for run in re.findall(r"(?<![\\\[^])[\u4e00-\u9fff]{2,8}", src):
            found.add(run)
    return tuple(sorted(found))


_NON_CJK = re.compile(r"[^\u4e00-\u9fff]+")


@lru_cache(maxsize=2)
def _term_rx_for(terms: tuple[str, ...]) -> re.Pattern:
    # a lookahead finds, at every position, the longest term that starts there
    return re.compile("(?=(" + "|".join(map(re.escape, sorted(terms, key=len, reverse=True))) + "))")


def _term_rx() -> re.Pattern:
    return _term_rx_for(library_terms())
