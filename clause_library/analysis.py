"""What a sentence does, independent of any requirement: who carries the verb, how firmly
(duty / ban / permission / statement, hedged or not), and which exceptions qualify it."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from nlp.parties import role_lexicon

from .lexicon import concept_pattern, voices

# Order matters: longer markers first so that 不应 is a ban, not 应.
_MODAL = [
    # an act expressly not owed: "乙方无义务清除", "不负责销毁", "无需另行通知", "不保证…"
    ("negated", r"无义务|没有[^。；，]{0,30}义务|不负有[^。；]{0,8}义务|无须|无需|不必|不负责|不保证|无法保证|不能保证|不担保|"
                r"不(?:承担|负)[^。；，]{0,12}(?:义务|责任)|不对[^。；，]{0,40}?(?:负责|承担[^。；，]{0,6}(?:责任|赔偿))"),
    ("ban", r"不得|禁止|严禁|不应当|不应|不可以|不能|无权|不允许|不准|杜绝|不会|绝不|不(?!断|少于|超过|定期|低于|高于|仅|但|论|管|久|同|可抗力|良|当|足|利|便|限|必|得不)(?=[^。；，]{0,12}(?:访问|查看|披露|泄露|使用|利用|转让|出售|提供|存储|传输|保存|保留|处理|修改|部署|备份|管理|上传|迁移|存放|放置|采用))"),
    ("permission", r"有权|可以|可能|允许|(?<![不应须])得(?=将|以|把|对|向|就|于|在|为|使用|保留|留存|存储|处理|保存)|保留[^。；]{0,60}?权利|享有[^。；]{0,8}权|可(?=[\u4e00-\u9fff])(?<!许可)(?<!认可)(?<!不可)"
                   r"(?!用|靠|移植|信|恢复|控|视化|行|持续|追溯|读|擦|及|能)"),
    ("duty", r"应当|应该|必须|务必|须|应(?!用|急|答|收|付|予以|对(?:措施|风险|突发|事件|策略|机制|方案|能力|处置))|负责|保证|承诺|确保|负有|承担|予以|按要求|(?<![的因为据作务于要])需(?!求|要的)"),
    # 将 after a modal or 要求 is a preposition (应将数据迁出, 要求将…), not a promise
    ("statement", r"(?<![应须得求可以能])将|会|予以|视为"),
]
_MODAL_RX = [(m, re.compile(p)) for m, p in _MODAL]

HEDGES = re.compile(concept_pattern("hedge"))

# Words immediately before a party name that make it an object, not the one who acts.
_OBLIQUE = re.compile(r"(?:经|未经|向|对|与|给|为|按|依|据|同|由于|取得|征得|获得|通知|告知|报|协助|配合|要求|提供给|在|至|到|于|从|通过|替|帮|代)$")

_EXCEPTION = re.compile(
    r"除(?P<a>[^。；]{1,60}?)(?:外|以外|之外)|但(?P<b>[^。；]{1,60}?)除外|(?P<c>[^，。；]{1,40}?)的除外|"
    r"(?P<d>[^，。；]{1,40}?)不在此限")
_ACK = re.compile(r"(?:充分|已经|已)?(?:了解|理解|知悉|知晓|同意|确认|认可|承认|注意到?)(?:并|且|及)?")
_CONDITION_END = re.compile(r"(?:的|时|后|前|中)[，,]")
_CONSENT = re.compile(r"(?:同意|授权|批准|许可|书面确认)")
_BROAD = re.compile(r"必要|必需|所需|需要|认为|改进|优化|提升|研发|分析|营销|推广|关联|第三方|合作伙伴|业务需求|自行决定|判断|合理")
_LAW = re.compile(r"法律|法规|监管|司法|有权机关|国家机关|行政机关")


@dataclass
class Marker:
    kind: str
    start: int
    end: int
    text: str


@dataclass
class Exception_:
    text: str
    kind: str  # consent | law | broad | other
    start: int


@dataclass
class SentenceFacts:
    text: str
    markers: list[Marker]
    mentions: list[tuple[int, int, str]]  # (start, end, role) of party names acting as possible subjects
    hedges: list[tuple[str, int]]  # (word, offset), found once per sentence
    exceptions: list[Exception_] = field(default_factory=list)

    def governing(self, pos: int) -> Marker | None:
        """The modal marker that governs a word at `pos`: the nearest before it in the same sentence,
        else the first after it. A marker inside a condition ("…可能泄露的，立即报告") governs the
        condition, not the main clause, and is passed over."""
        before = [m for m in self.markers if m.start <= pos]
        for m in reversed(before):
            if not _CONDITION_END.search(self.text, m.end, pos):
                return m
        after = [m for m in self.markers if m.start > pos]
        if not after:
            return None
        # a clause with its own subject and no modal word is a plain statement by that subject
        # ("平台向用户提供监控产品，用户可自行开通"): a modal in a later clause is someone else's
        clause_start = max(self.text.rfind(c, 0, pos) for c in "，,；;：:") + 1
        clause_end = min([i for i in (self.text.find(c, pos) for c in "，,；;") if i >= 0] or [len(self.text)])
        if after[0].start > clause_end and any(clause_start <= m[0] and m[1] <= pos for m in self.mentions):
            return None
        return after[0]

    def subject_of(self, marker: Marker | None, pos: int) -> set[str]:
        """Roles named just before the governing verb: 乙方、丙方应… -> {provider, manager}."""
        limit = marker.start if marker else pos
        # the subject stands in the verb's own clause ("…，乙方应…"); a clause without one continues
        # the sentence's first subject ("乙方可将甲方数据…，无需征得甲方同意")
        clause_start = max(self.text.rfind(c, 0, limit) for c in "，,；;：:") + 1
        cands = [m for m in self.mentions if m[1] <= limit and m[0] >= clause_start]
        if not cands:
            before = [m for m in self.mentions if m[1] <= limit]
            cands = before[:1]
        if not cands:
            return set()
        last = cands[-1]
        roles = {last[2]}
        # coordinated subjects: 乙方、丙方 / 乙方和丙方
        for m in reversed(cands[:-1]):
            gap = self.text[m[1]:last[0]]
            if re.fullmatch(r"[、和及与或]|以及", gap):
                roles.add(m[2])
                last = m
            else:
                break
        return roles

    def hedges_for(self, marker: "Marker | None", pos: int, span: int = 30) -> list[str]:
        """Hedges that qualify the act at `pos`: near it, or just before its verb. A hedge elsewhere in
        the sentence (甲方必要时可…；乙方应…) qualifies something else."""
        out = []
        for h, s in self.hedges:
            if abs(s - pos) <= span or (marker is not None and 0 <= marker.start - s <= 8):
                out.append(h)
        return out



class Analyzer:
    """Sentence facts for one document (its party names decide who is who)."""

    def __init__(self, parties: dict[str, list[str]]):
        lex = role_lexicon(parties)
        # vendor voices (我们/本公司 vs 您/用户) unless the contract itself gave the word a role
        own = {n for names in parties.values() for n in names}
        for role, words in voices().items():
            for w in words:
                if w not in own:
                    lex.setdefault(w, role)
        self.lexicon = lex
        names = sorted(lex, key=len, reverse=True)
        self._party_rx = re.compile("|".join(re.escape(n) for n in names if n))
        self.role_patterns = {role: _alternation([n for n, r in lex.items() if r == role])
                              for role in ("customer", "provider", "manager")}
        self.role_patterns["party"] = _alternation(list(lex))
        self._cache: dict[str, SentenceFacts] = {}

    def facts(self, text: str) -> SentenceFacts:
        f = self._cache.get(text)
        if f is None:
            f = self._cache[text] = self._facts(text)
        return f

    def _facts(self, text: str) -> SentenceFacts:
        markers: list[Marker] = []
        # party names can hold modal characters (供应商 has 应): their spans are not verbs
        names: list[tuple[int, int]] = [m.span() for m in self._party_rx.finditer(text)]
        # nor is one inside a hedge: 尽可能 holds 可能, 必要时可 holds 可
        names += [m.span() for m in HEDGES.finditer(text)]
        taken: list[tuple[int, int]] = []
        for kind, rx in _MODAL_RX:
            for m in rx.finditer(text):
                # a modal word inside a name is no verb; a long marker may still run across a name
                if any(s <= m.start() and m.end() <= e for s, e in names):
                    continue
                if any(s < m.end() and m.start() < e for s, e in taken):
                    continue
                taken.append((m.start(), m.end()))
                markers.append(Marker(kind, m.start(), m.end(), m.group()))
        markers.sort(key=lambda m: m.start)
        # "您应了解/您理解并同意，…乙方不承担责任": an acknowledgement preface binds nobody to act; the
        # clause's verb comes after it
        if len(markers) > 1:
            markers = [m for i, m in enumerate(markers)
                       if not (i < len(markers) - 1 and _ACK.match(text, m.end))]
        mentions = []
        for m in self._party_rx.finditer(text):
            prefix = text[max(0, m.start() - 4):m.start()]
            if _OBLIQUE.search(prefix):
                continue
            nxt = text[m.end():m.end() + 2]
            # "甲方数据", "甲方的": a possessive names whose thing it is, not who acts
            if nxt.startswith(("数据", "的", "资料", "信息", "业务", "系统", "所有", "书面", "同意", "授权", "要求", "确认",
                               "上", "内", "中", "之", "账", "帐", "名下", "自身", "提供的", "上传", "存储", "提交", "方面")):
                continue
            mentions.append((m.start(), m.end(), self.lexicon[m.group()]))
        exceptions = []
        for m in _EXCEPTION.finditer(text):
            body = next(g for g in m.groups() if g)
            if _CONSENT.search(body) and not _BROAD.search(body):
                kind = "consent"
            elif _LAW.search(body) and not _BROAD.search(body):
                kind = "law"
            elif _BROAD.search(body):
                kind = "broad"
            else:
                kind = "other"
            exceptions.append(Exception_(m.group(), kind, m.start()))
        return SentenceFacts(text=text, markers=markers, mentions=mentions,
                             hedges=[(h.group(), h.start()) for h in HEDGES.finditer(text)], exceptions=exceptions)


def _alternation(words: list[str]) -> str:
    words = sorted({w for w in words if w}, key=len, reverse=True)
    return "(?:" + "|".join(re.escape(w) for w in words) + ")" if words else "(?!)"
