"""A clause read as a frame: who (actor) must or may (modality, negation) do what (act), to what
(object), where, when, for whom, for which purpose, under which condition and with which exceptions.
Rules decide over frames; `clausecheck explain` prints them."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

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
    act_on_token: bool | None = None  # the act begins a jieba token (None: not checked)

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
    """The concept slots, tagged on the clause's jieba tokens (spaCy's blank Chinese pipeline with
    the contract dictionary); a concept found only inside a longer token (数据安全 in 数据安全法) is
    kept by the substring fallback and marked with "~". Read when someone asks (explanations)."""
    p = ctx.passages[frame.passage]
    text = ctx.expanded(p)
    roles = ctx.analyzer.role_patterns
    starts, ends = token_bounds(ctx, p)
    slots: dict[str, dict[str, list[str]]] = {}
    for slot, ids in SLOTS.items():
        found = find_concepts(text, ids, roles, spans=True)
        if found:
            slots[slot] = {cid: list(dict.fromkeys(
                w if (s >= len(p.text) or (s in starts and e in ends)) else w + "~" for w, s, e in hits))
                for cid, hits in found.items()}
    from nlp.deadlines import find_deadlines

    deadlines = [f"{d.text}={'立即' if d.kind == 'immediate' else '及时' if d.kind == 'prompt' else f'{d.hours:g}h'}"
                 for d in find_deadlines(p.text)]
    if deadlines:
        slots.setdefault("time", {})["deadline"] = deadlines
    frame.slots = slots
    frame.act_on_token = act_on_token(ctx, frame)
    return frame


def act_on_token(ctx, frame: Frame) -> bool:
    """Whether the act begins a word as jieba cuts the clause; a match that starts inside a longer
    word was found by the substring fallback and is read with less confidence."""
    p = ctx.passages[frame.passage]
    if frame.inherited or frame.act_start >= len(p.text):
        return True
    starts, _ = token_bounds(ctx, p)
    return frame.act_start in starts


def token_bounds(ctx, p) -> tuple[set[int], set[int]]:
    """Token start and end offsets of a passage (segmented once per passage)."""
    cache = ctx.__dict__.setdefault("_tokens", {})
    if p.index not in cache:
        from nlp.segment import tokens

        toks = tokens(p.text)
        cache[p.index] = ({s for _, s, _ in toks}, {e for _, _, e in toks})
    return cache[p.index]
