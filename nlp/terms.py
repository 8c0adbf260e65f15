"""Find terms as substrings of the text, whatever the word segmentation made of them.

spaCy's PhraseMatcher matches whole tokens only: jieba cuts 数据安全法 as one word, so the term
数据安全 is never found in it, and 网络安全等级保护 hides 等级保护. Rules need the substring, so this
matcher scans the text itself (one compiled alternation, longest term first) and can say afterwards
whether a hit lines up with token boundaries, for callers that want to tell 等级保护 the phrase from a
piece of a longer word.
"""
from __future__ import annotations

import re
from typing import Iterable, NamedTuple


class TermHit(NamedTuple):
    term: str  # the term as given (not the matched text, which may differ in case)
    start: int
    end: int


class TermMatcher:
    def __init__(self, terms: Iterable[str], ignore_case: bool = False):
        # longest first: at any position Python's alternation takes the first alternative that
        # matches, so 网络安全等级保护 wins over 网络安全 and 等级保护
        uniq = sorted({t for t in terms if t}, key=lambda t: (-len(t), t))
        self.terms = uniq
        self._canon = {(t.casefold() if ignore_case else t): t for t in uniq}
        self._ignore_case = ignore_case
        flags = re.IGNORECASE if ignore_case else 0
        self._rx = re.compile("|".join(map(re.escape, uniq)), flags) if uniq else None
        # a lookahead finds one hit at every position, so nested and overlapping terms are all seen
        self._rx_all = [re.compile(f"(?=({re.escape(t)}))", flags) for t in uniq]

    def _term(self, matched: str) -> str:
        return self._canon.get(matched.casefold() if self._ignore_case else matched, matched)

    def find(self, text: str, overlapping: bool = False) -> list[TermHit]:
        """Hits in text order. By default non-overlapping, leftmost-longest (数据安全法 over 数据安全);
        with overlapping=True every occurrence of every term, nested ones included."""
        if self._rx is None:
            return []
        if not overlapping:
            return [TermHit(self._term(m.group()), m.start(), m.end()) for m in self._rx.finditer(text)]
        hits = [TermHit(self._term(m.group(1)), m.start(), m.start() + len(m.group(1)))
                for rx in self._rx_all for m in rx.finditer(text)]
        return sorted(hits, key=lambda h: (h.start, -(h.end - h.start)))

    def find_aligned(self, text: str, tokens: list[tuple[str, int, int]] | None = None,
                     overlapping: bool = False) -> list[tuple[TermHit, bool]]:
        """Hits with whether each starts and ends on a token boundary (tokens from nlp.segment.tokens,
        segmented here when not given)."""
        if tokens is None:
            from .segment import tokens as segment

            tokens = segment(text)
        starts = {s for _, s, _ in tokens}
        ends = {e for _, _, e in tokens}
        return [(h, h.start in starts and h.end in ends) for h in self.find(text, overlapping)]

    def search(self, text: str) -> TermHit | None:
        """The first hit, or None: for "does this sentence mention any of the terms"."""
        m = self._rx.search(text) if self._rx is not None else None
        return TermHit(self._term(m.group()), m.start(), m.end()) if m else None
