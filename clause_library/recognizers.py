"""Document-level recognizers, for requirements that no single sentence shows (who signed, and
whether each signatory was given duties). Each takes the DocContext and yields engine Hits."""
from __future__ import annotations

import re
from typing import Iterable

from .hits import Hit, recognizer

ROLE_ZH = {"customer": "档案部门（甲方）", "provider": "服务方", "manager": "政务云平台管理方"}
_WITNESS = re.compile(r"见证")


@recognizer("tripartite-parties")
def tripartite(ctx) -> Iterable[Hit]:
    parties = ctx.doc.parties
    if not all(parties.get(r) for r in ("customer", "provider", "manager")):
        return []
    # the preamble lines that name the parties are the evidence
    names = {n for r in ("customer", "provider", "manager") for n in parties[r] if len(n) > 2}
    preamble = [p.index for p in ctx.passages[:40] if any(n in p.text for n in names)][:3]
    duties = {"customer": 0, "provider": 0, "manager": 0}
    witness_only = False
    witness_at: list[int] = []
    # the clause that shares out the duties ("甲方负责…；乙方负责…；丙方负责…") shows the split best
    per_paragraph: dict[int, tuple[int, set[str]]] = {}
    for p in ctx.passages:
        facts = ctx.analyzer.facts(p.text)
        first, here = per_paragraph.setdefault(p.paragraph, (p.index, set()))
        for m in facts.markers:
            if m.kind in ("duty", "ban", "permission"):
                for role in facts.subject_of(m, m.start):
                    duties[role] = duties.get(role, 0) + 1
                    here.add(role)
        if _WITNESS.search(p.text) and any(n in p.text for n in parties["manager"]):
            witness_only = True
            witness_at.append(p.index)
    sharing = [(len(roles), i) for i, roles in per_paragraph.values() if len(roles) >= 2]
    best = [i for _, i in sorted(sharing, key=lambda t: (-t[0], t[1]))[:1]]
    lacking = [r for r in ("provider", "manager") if duties[r] == 0]
    if witness_only and duties["manager"] <= 1:
        return [Hit("weakens", i, ["政务云平台管理方仅作为见证方，未承担协议责任"], "tripartite")
                for i in (witness_at[:1] + preamble)]
    if lacking:
        who = "、".join(ROLE_ZH[r] for r in lacking)
        return [Hit("weakens", i, [f"三方均已列明，但未分别明确{who}的责任"], "tripartite") for i in preamble]
    return [Hit("supports", i, ["档案部门、政务云平台管理方、服务方三方签订协议并分别明确责任"], "tripartite")
            for i in (best + preamble)]

