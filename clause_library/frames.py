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
        passage=p.index, act=act, actor=sorted(actor), modality=marker.kind if marker else "statement",
        modal_word=marker.text if marker else "", inherited=inherited, hedges=list(dict.fromkeys(hedges)),
        exceptions=[(e.kind, e.text) for e in facts.exceptions])


def fill_slots(ctx, frame: Frame) -> Frame:
    """The concept slots, read only when someone asks (explanations): judging needs just the
    rule's own patterns."""
    text = ctx.expanded(ctx.passages[frame.passage])
    roles = ctx.analyzer.role_patterns
    frame.slots = {slot: find_concepts(text, ids, roles) for slot, ids in SLOTS.items()}
    frame.slots = {k: v for k, v in frame.slots.items() if v}
    return frame
