"""`clausecheck explain FILE REQUIREMENT`: the frames read from each candidate clause and the rule
line that decided, so a rule author sees why (as Semgrep's test output does)."""
from __future__ import annotations

from nlp.model import Document

from .engine import DocContext, _match_signal, judge
from .frames import fill_slots
from .library import library


def explain(doc: Document, requirement: str) -> dict:
    lib = library()
    if requirement not in lib.rules:
        raise KeyError(requirement)
    rule = lib.rules[requirement]
    ctx = DocContext(doc)
    candidates = []
    for p in ctx.passages:
        for sig in rule.signals:
            first = ctx.pattern(sig.all[0]).search(p.text)
            if not first:
                continue
            hit = _match_signal(ctx, sig, p)
            entry = {"passage": p.index, "article": p.article, "text": p.text, "signal": sig.name,
                     "signal_role": sig.role, "matched": first.group()}
            if hit is None:
                entry["outcome"] = "not counted"
                entry["why"] = _why_not(ctx, sig, p)
            else:
                entry["outcome"] = hit.role
                entry["reasons"] = hit.reasons
                entry["decided_by"] = hit.decided_by
                if hit.frame is not None:
                    entry["frame"] = fill_slots(ctx, hit.frame).to_dict()
            candidates.append(entry)
    finding = judge(ctx, rule)
    return {"requirement": requirement, "title": rule.title, "status": finding["status"],
            "reasons": finding["reasons"], "parties": doc.parties, "candidates": candidates}


def _why_not(ctx, sig, p) -> str:
    heading = p.heading if sig.role != "conflicts" else ""
    lead = ctx.passages[p.lead_in].text if p.lead_in is not None else ""
    for group in sig.all[1:]:
        rx = ctx.pattern(group)
        if not (rx.search(p.text) or rx.search(heading) or (lead and rx.search(lead))):
            return f"all: '{group[:60]}' not found in the clause, its lead-in or heading"
    for group in sig.none:
        m = ctx.pattern(group).search(p.text) or (lead and ctx.pattern(group).search(lead))
        if m:
            return f"none: '{m.group()}' rules the clause out"
    for group in sig.unless:
        m = ctx.pattern(group).search(p.text + "\n" + ctx.passages[min(p.index + 1, len(ctx.passages) - 1)].text)
        if m:
            return f"unless: '{m.group()}' follows and undoes it"
    from .engine import _frame

    f = _frame(ctx, sig, p, ctx.pattern(sig.all[0]).search(p.text))
    return f"actor {f.actor or '-'} / modality {f.modality} ('{f.modal_word}') do not fit {sig.actor} / {sig.modality}"


def format_text(result: dict) -> str:
    lines = [f"{result['requirement']} {result['title']}: {result['status']}",
             "  (acts and concept slots are read on jieba word boundaries; “~” marks a word kept by the substring fallback)",
             "  " + "; ".join(result["reasons"]), f"  parties: {result['parties']}", ""]
    for c in result["candidates"]:
        lines.append(f"[{c['passage']}] {c.get('article') or ''} {c['text'][:120]}")
        lines.append(f"    signal {c['signal']} ({c['signal_role']}) matched “{c['matched']}” -> {c['outcome']}")
        if "frame" in c:
            f = c["frame"]
            lines.append(f"    frame: actor={f['actor'] or '-'} modality={f['modality']}({f['modal_word']})"
                         f"{' inherited' if f['inherited'] else ''} hedges={f['hedges'] or '-'}"
                         f" exceptions={[k for k, _ in f['exceptions']] or '-'}")
            for slot, found in f["slots"].items():
                lines.append(f"      {slot}: " + ", ".join(f"{k}={'/'.join(v)}" for k, v in found.items()))
            lines.append(f"    decided by: {c['decided_by']}" + (f"; {'; '.join(c['reasons'])}" if c.get("reasons") else ""))
        else:
            lines.append(f"    why: {c['why']}")
    return "\n".join(lines)
