"""Judges a Document against the rules of a profile: one finding per requirement."""
from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from nlp.model import Document

from . import recognizers  # noqa: F401  (registers the document-level recognizers)
from .analysis import Analyzer, SentenceFacts
from .frames import Frame, on_words, read_frame
from .hits import RECOGNIZERS, Hit
from .lexicon import compile_pattern
from .library import Rule, Signal, get_profile, library, source_text
from .profiles import choose_profile

ROLE_ZH = {"customer": "甲方（采购方）", "provider": "服务方", "manager": "平台管理方"}
MAX_EVIDENCE = 4


@dataclass
class Passage:
    index: int
    text: str
    heading: str
    start: int
    end: int
    paragraph: int
    page: int | None
    article: str | None
    lead_in: int | None = None  # the "…如下：" sentence a list item hangs from


class DocContext:
    """Everything about one document the rules need, computed once."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.analyzer = Analyzer(doc.parties)
        self.passages = self._passages(doc)
        self._subjects: dict[int, set[str]] = {}
        defs = {t: d for t, d in doc.definitions.items() if len(t) >= 2}
        self._def_rx = re.compile("|".join(re.escape(t) for t in sorted(defs, key=len, reverse=True))) if defs else None
        self._defs = defs
        self.overrides = _far_exceptions(self.passages)

    @staticmethod
    def _passages(doc: Document) -> list[Passage]:
        out: list[Passage] = []
        heading_starts = {sec.start for sec in doc.sections}
        titled = sorted((sec for sec in doc.sections if sec.level in ("chapter", "article", "clause", "attachment")),
                        key=lambda sec: sec.start)
        active: list = []
        nxt = 0
        lead_in = None
        for s in doc.sentences:  # sentences and sections both run in document order: one sweep
            while nxt < len(titled) and titled[nxt].start <= s.start:
                active.append(titled[nxt])
                nxt += 1
            active = [sec for sec in active if sec.end > s.start]
            if _is_heading(s, heading_starts):
                lead_in = None
                continue
            heading = " ".join(sec.title for sec in active)
            out.append(Passage(len(out), s.text, heading, s.start, s.end, s.paragraph, s.page, s.article,
                               lead_in=lead_in))
            if s.text.endswith(("：", ":")):
                lead_in = len(out) - 1
            elif lead_in is not None and out[lead_in].paragraph != s.paragraph and not _ITEM_START.match(s.text):
                lead_in = None
        return out

    def pattern(self, template: str) -> re.Pattern:
        roles = self.__dict__.get("_roles")
        if roles is None:
            roles = self._roles = tuple(sorted(self.analyzer.role_patterns.items()))
        return _compile(template, roles)

    def passages_matching(self, rx: re.Pattern) -> set[int] | None:
        """The passages where `rx` may match, found by searching the whole document once instead of
        each passage in turn (None: search each). Passages are joined by a line break, which no act
        pattern crosses with "."; restarting at each passage's start after a hit keeps every passage
        that matches on its own. A pattern anchored at the text's start or end, or with a negative
        lookaround (which could see the next passage and refuse), is searched per passage."""
        if _JOIN_UNSAFE.search(rx.pattern):
            return None
        joined = self.__dict__.get("_joined")
        if joined is None:
            joined = self._joined = "\n".join(p.text for p in self.passages)
            self._starts, pos = [], 0
            for p in self.passages:
                self._starts.append(pos)
                pos += len(p.text) + 1
        found, pos, starts = set(), 0, self._starts
        while (m := rx.search(joined, pos)) is not None:
            i = bisect_right(starts, m.start()) - 1
            found.add(i)
            if i + 1 >= len(starts):
                break
            pos = starts[i + 1]
        return found

    def expanded(self, p: Passage) -> str:
        """The passage with the definitions of the terms it uses, so a clause is read at the width of
        its defined terms ("甲方数据"指…包括运行中产生的…)."""
        if not self._def_rx:
            return p.text
        extra = [self._defs[t] for t in dict.fromkeys(self._def_rx.findall(p.text))]
        return p.text + ("\n" + "\n".join(extra) if extra else "")

    def subject(self, p: Passage, facts: SentenceFacts, marker, pos: int) -> set[str]:
        roles = facts.subject_of(marker, pos)
        if roles:
            return roles
        # "…；并应在…": an elliptical sentence keeps the subject of the one before it in the paragraph
        prev = p.index - 1
        while prev >= 0 and self.passages[prev].paragraph == p.paragraph:
            pp = self.passages[prev]
            pf = self.analyzer.facts(pp.text)
            r = pf.subject_of(pf.markers[0] if pf.markers else None, len(pp.text))
            if r:
                return r
            prev -= 1
        return set()


_ITEM_START = re.compile(r"^(?:[（(]?\d{1,2}[）)．.、]|[（(][一二三四五六七八九十]+[）)]|[①-⑳]|[（(]?[ivxIVX]{1,4}[）)][.．、]?|"
                         r"[a-hA-H][.、)）]|[•·▪\-–—]\s*)")


def _is_heading(s, heading_starts: set[int]) -> bool:
    """A bare title line ("第二十条 合同终止时的数据处理", "七、安全事件报告与处置") names a topic but
    binds nobody; it is read as the heading of the sentences below it, not as a clause."""
    return (s.start in heading_starts and len(s.text) <= 40 and not s.text.endswith(("。", "；", ";", "：", ":"))
            and not re.search(r"应|不得|须|有权|可以", s.text))


_compile = compile_pattern
# ^ or $ outside a character class, \A, \B, \Z, (?! and (?<!: what a joined text could change
_JOIN_UNSAFE = re.compile(r"(?<![\\\[])[\^$]|\\[ABZ]|\(\?<?!")


def _actor_ok(wanted: str, roles: set[str]) -> bool | None:
    """True / False, or None when the sentence names no acting party."""
    if not roles:
        return None
    if wanted == "any":
        return True
    if wanted == "provider-side":
        return bool(roles & {"provider", "manager"})
    return wanted in roles


def _match_signal(ctx: DocContext, sig: Signal, p: Passage, act: re.Pattern | None = None) -> Hit | None:
    first = _on_words(ctx, p, act or ctx.pattern(sig.all[0]))
    if not first:
        return None
    # A heading may supply context for a duty ("第二十条 合同终止时的数据处理"), never for a conflict:
    # a permission or disclaimer must say in its own words what it takes away.
    heading = p.heading if sig.role != "conflicts" else ""
    # a list item is read with its lead-in ("以下情形造成的损失，乙方不承担责任：（一）黑客攻击…")
    lead = ctx.passages[p.lead_in].text if p.lead_in is not None else ""
    for group in sig.all[1:]:
        rx = ctx.pattern(group)
        if not (rx.search(p.text) or rx.search(heading) or (lead and rx.search(lead))):
            return None
    for group in sig.none:
        # a veto reads the whole clause: a list item under "不得发布下列信息：" is still in that list
        rx = ctx.pattern(group)
        if rx.search(p.text) or (lead and rx.search(lead)):
            return None
    if sig.unless:
        # what follows in the same clause can undo a reading: a retention window that ends in deletion
        around = p.text + "\n" + _following(ctx, p)
        for group in sig.unless:
            if ctx.pattern(group).search(around):
                return None
    frame = _frame(ctx, sig, p, first)
    actor_ok = _actor_ok(sig.actor, set(frame.actor))
    modality = frame.modality
    modality_ok = "any" in sig.modality or modality in sig.modality

    if sig.role == "supports":
        if modality == "negated":
            # "乙方无义务清除…", "不负责销毁": the very act expressly not owed
            if sig.negated == "ignore" or actor_ok is False:
                return None
            return Hit(sig.negated, p.index, [f"服务方明确不承担该义务（“{frame.modal_word}”）"], sig.name,
                       frame=frame, decided_by=f"{sig.name}: negated -> {sig.negated}")
        if modality == "ban" and sig.banned == "conflicts" and actor_ok is not False and "ban" not in sig.modality:
            return Hit("conflicts", p.index, [f"服务方拒绝提供（“{frame.modal_word}”）"], sig.name,
                       frame=frame, decided_by=f"{sig.name}: banned -> conflicts")
        reasons: list[str] = []
        role = "supports"
        decided = f"{sig.name}: supports"
        if actor_ok is False:
            if sig.wrong_actor == "ignore":
                return None
            who = "、".join(ROLE_ZH.get(r, r) for r in sorted(frame.actor))
            role, reasons, qualifies = "weakens", [f"该条款约定由{who}承担，而非服务方"], False
            decided = f"{sig.name}: actor {frame.actor} is not {sig.actor} -> weakens"
        elif not modality_ok:
            if sig.wrong_modality == "ignore":
                return None
            role, reasons, qualifies = "weakens", [f"仅为“{frame.modal_word}”等非强制表述，未设定明确义务"], False
            decided = f"{sig.name}: modality {modality} not in {sig.modality} -> weakens"
        else:
            qualifies = True
        if frame.hedges and role == "supports":
            role, reasons = "weakens", [f"措辞含对冲用语（{'、'.join(frame.hedges)}）"]
            decided = f"{sig.name}: hedge -> weakens"
        broad = [t for k, t in frame.exceptions if k == "broad"]
        if broad and role == "supports":
            role, reasons = "weakens", [f"设有宽泛例外（{broad[0]}）"]
            decided = f"{sig.name}: broad exception -> weakens"
        far = ctx.overrides.get(p.index)
        if far is not None and role == "supports":
            q = ctx.passages[far]
            role, reasons = "weakens", [f"{q.article or '另一条款'}另设例外，限制了本条的适用（{q.text[:40]}）"]
            decided = f"{sig.name}: far exception in passage {far} -> weakens"
        return Hit(role, p.index, reasons, sig.name, qualifies=qualifies, frame=frame, decided_by=decided)
    # weakens / conflicts: only when the act is really granted or stated, not banned
    if actor_ok is False or not modality_ok:
        return None
    return Hit(sig.role, p.index, [sig.reason] if sig.reason else [], sig.name, qualifies=sig.qualifies,
               frame=frame, decided_by=f"{sig.name}: {sig.role}")


def _on_words(ctx: DocContext, p: Passage, rx: re.Pattern) -> re.Match | None:
    """The first match of a signal's act that begins and ends on word boundaries as jieba segments
    the clause (search mode, so a term inside a compound such as 总库 in 数字档案资源总库 still counts,
    and a term the segmenter splits into several words is kept whole). A match that starts or ends
    inside a word is two words that happen to meet (国内 in 中国内地) and is passed over."""
    pos = 0
    while True:
        m = rx.search(p.text, pos)
        if m is None:
            return None
        if on_words(ctx, p, m.start(), m.end()):
            return m
        pos = m.start() + 1  # overlapping: a shorter alternative may start at the same place or just after


def _frame(ctx: DocContext, sig: Signal, p: Passage, first: re.Match) -> Frame:
    """The frame is read where the verb that decides is: by default at the first pattern's match; a
    signal may anchor it on another of its patterns (a disclaimer's own 不承担责任, wherever the
    incident it names stands), found in the clause or in its lead-in."""
    if sig.anchor:
        rx = ctx.pattern(sig.all[sig.anchor])
        m = rx.search(p.text)
        if m:
            return read_frame(ctx, p, m.start(), first.group())
        if p.lead_in is not None:
            lead = ctx.passages[p.lead_in]
            m = rx.search(lead.text)
            if m:
                f = read_frame(ctx, lead, m.start(), first.group())
                f.passage, f.inherited = p.index, True
                return f
    return read_frame(ctx, p, first.start(), first.group())


def _following(ctx: DocContext, p: Passage) -> str:
    nxt = p.index + 1
    if nxt < len(ctx.passages) and (ctx.passages[nxt].paragraph == p.paragraph
                                    or (p.article and ctx.passages[nxt].article == p.article)):
        return ctx.passages[nxt].text
    return ""


def candidate_hits(ctx: DocContext, rule: Rule) -> list[Hit]:
    hits: list[Hit] = list(RECOGNIZERS[rule.recognizer](ctx)) if rule.recognizer else []
    acts = [(sig, rx, ctx.passages_matching(rx)) for sig in rule.signals for rx in [ctx.pattern(sig.all[0])]]
    for p in ctx.passages:
        for sig, act, where in acts:
            if where is not None and p.index not in where:
                continue
            h = _match_signal(ctx, sig, p, act)
            if h:
                hits.append(h)
    return hits


def judge(ctx: DocContext, rule: Rule, lib=None) -> dict:
    hits = candidate_hits(ctx, rule)
    supports = [h for h in hits if h.role == "supports"]
    weakens = [h for h in hits if h.role == "weakens"]
    conflicts = [h for h in hits if h.role == "conflicts"]
    needed = {name: el for sig in rule.signals if sig.role == "supports" for name, el in sig.elements.items()}
    # elements may come from any on-topic passage: the duty in one sentence, its deadline in the next
    have = set()
    found_in: dict[int, int] = {}
    for h in supports + [w for w in weakens if not w.qualifies]:
        els = _elements(ctx, needed, ctx.passages[h.sentence])
        found_in[h.sentence] = len(els)
        have |= els
    # the fullest clause is shown first
    hits.sort(key=lambda h: -found_in.get(h.sentence, 0) if h.role == "supports" else 0)
    reasons: list[str] = []
    if conflicts:
        status = "conflicting"
        reasons = _uniq(r for h in conflicts for r in h.reasons)
        confidence = 0.8
    elif supports:
        lacking = [el.missing for name, el in needed.items() if name not in have]
        qualifiers = [h for h in weakens if h.qualifies]
        if lacking or qualifiers:
            status = "weak"
            reasons = _uniq(lacking + [r for h in qualifiers for r in h.reasons])
            confidence = 0.7
        else:
            status = "satisfied"
            reasons = _uniq(["已约定：" + rule.looks_for])
            confidence = 0.8 if len(supports) == 1 else 0.9
    elif weakens:
        status = "weak"
        reasons = _uniq(r for h in weakens for r in h.reasons)
        confidence = 0.65
    else:
        status = "missing"
        reasons = ["未找到相关约定：" + rule.looks_for]
        confidence = 0.85
    order = {"conflicting": ["conflicts", "weakens", "supports"], "weak": ["weakens", "supports", "conflicts"],
             "satisfied": ["supports"], "missing": []}[status]
    evidence = []
    seen = set()
    for role in order:
        for h in hits:
            if h.role == role and h.sentence not in seen and len(evidence) < MAX_EVIDENCE:
                seen.add(h.sentence)
                evidence.append(_evidence(ctx.passages[h.sentence], role))
    lib = lib or library()
    finding = {
        "requirement": rule.id, "title": rule.title, "status": status, "severity": rule.severity,
        "confidence": confidence, "reasons": reasons, "evidence": evidence,
        "sources": [source_text(lib, s) for s in rule.sources],
    }
    pack = lib.pack_of(rule.id)
    if pack is not None:  # which rule pack (and version) the requirement comes from
        finding["pack"] = {"name": pack.name, "version": pack.version}
    if rule.tightens:
        finding["tightens"] = rule.tightens
    if status != "satisfied":
        finding["suggestion"] = rule.suggestion
    if status == "missing":
        near = _nearest(ctx, rule)
        finding["looked_for"] = rule.looks_for
        if near is not None:
            finding["nearest"] = _evidence(ctx.passages[near], "weakens")
    return finding


_REF = re.compile(r"(第[一二三四五六七八九十百零〇\d]+条|\d+(?:\.\d+)+)(?:[^。；]{0,12}(?:款|项))?|前款|前述|上述|本条|以上")
_OVERRIDE = re.compile(r"不适用|不受[^。；]{0,20}(?:限制|约束)|不在此限|除外")
_BROAD_EXC = re.compile(r"必要|需要|认为|改进|优化|提升|研发|分析|营销|推广|关联|第三方|合作伙伴|业务需求|自行决定|判断|合理")


def _far_exceptions(passages: list[Passage]) -> dict[int, int]:
    """Exceptions written away from the rule they qualify ("第六条的约定不适用于乙方为改进服务…"):
    passage index of the qualified rule -> passage index of the exception. Only broad exceptions
    (the provider's needs or judgement) count; one needing the customer's consent does not weaken."""
    out: dict[int, int] = {}
    for q in passages:
        if not (_OVERRIDE.search(q.text) and _BROAD_EXC.search(q.text)):
            continue
        for m in _REF.finditer(q.text):
            ref = m.group(1)
            if ref:
                targets = [p for p in passages if p.article and (p.article == ref or p.article.startswith(ref))
                           and p.index != q.index]
            elif m.group() in ("前款", "前述", "上述", "以上"):
                targets = [p for p in passages if p.index < q.index and p.article == q.article][-3:]
            else:  # 本条
                targets = [p for p in passages if p.article == q.article and p.index != q.index]
            for t in targets:
                out.setdefault(t.index, q.index)
    return out


def _elements(ctx: DocContext, needed: dict, p: Passage) -> set[str]:
    """Elements found in a passage read with its defined terms, its heading, and the sentence that
    continues it ("…；并应在…").  """
    text = ctx.expanded(p) + "\n" + p.heading
    nxt = p.index + 1
    if nxt < len(ctx.passages) and ctx.passages[nxt].paragraph == p.paragraph:
        text += "\n" + ctx.passages[nxt].text
    found = set()
    for name, el in needed.items():
        if el.in_clause:
            if sum(1 for pat in el.any if ctx.pattern(pat).search(p.text)) >= el.min:
                found.add(name)
        elif el.within_hours is not None:
            if _prompt_enough(text, el.within_hours):
                found.add(name)
        elif sum(1 for pat in el.any if ctx.pattern(pat).search(text)) >= el.min:
            found.add(name)
    return found


def _prompt_enough(text: str, hours: float) -> bool:
    from nlp.deadlines import find_deadlines

    return any(d.kind in ("immediate", "prompt") or (d.kind == "within" and d.hours is not None and d.hours <= hours)
               for d in find_deadlines(text))


def _nearest(ctx: DocContext, rule: Rule) -> int | None:
    """The passage that came closest (most groups of a supporting signal matched), for the reader
    of a missing finding."""
    best, score = None, 0
    for sig in rule.signals:
        if sig.role != "supports":
            continue
        rxs = [ctx.pattern(g) for g in sig.all]
        for p in ctx.passages:
            n = sum(1 for rx in rxs if rx.search(p.text))
            if n > score and n >= max(1, len(rxs) - 1) and rxs[0].search(p.text):
                best, score = p.index, n
    return best


def _evidence(p: Passage, role: str) -> dict:
    return {"text": p.text, "role": role, "location": {
        "article": p.article, "page": p.page, "paragraph": p.paragraph, "start": p.start, "end": p.end}}


def _uniq(items) -> list[str]:
    return [x for x in dict.fromkeys(items) if x]


def review(doc: Document, profile: str = "auto", packs=None) -> dict:
    """`packs`: extra rule-pack folders for this review (None: the active ones, see packs.use_packs)."""
    lib = library(packs)
    chosen, why = (choose_profile(doc, lib), True) if profile in (None, "", "auto") else (profile, False)
    prof = get_profile(chosen, lib)
    ctx = DocContext(doc)
    findings = [judge(ctx, lib.rules[rid], lib) for rid in prof.requirements]
    # the packs that judged: the profile's own and those of its requirements, in load order
    used = {prof.pack} | {lib.origin.get(rid, "") for rid in prof.requirements}
    judged_by = [{"name": p.name, "version": p.version, "digest": p.digest} for p in lib.packs if p.name in used]
    counts = {s: sum(1 for f in findings if f["status"] == s) for s in ("satisfied", "weak", "conflicting", "missing")}
    warnings = list(doc.warnings)
    if why:
        warnings.append(f"自动选择审查模板：{prof.title}（{chosen}）")
    return {
        "schema": "clausecheck.review/v1",
        "document": {"name": doc.name, "sha256": doc.sha256, "format": doc.format, "pages": doc.pages,
                     "characters": len(doc.text), "ocr_pages": len(doc.ocr_pages), "parties": doc.parties,
                     "warnings": warnings},
        "profile": chosen,
        "profile_title": prof.title,
        "profile_auto": why,
        "rules_version": lib.version,
        "packs": judged_by,
        "summary": counts,  # the pass/fail verdict is the service's policy (service/policy.py)
        "findings": findings,
    }
