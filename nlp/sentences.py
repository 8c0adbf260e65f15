"""Sentence splitting over the normalised text, keeping offsets."""
from __future__ import annotations

import re

from .model import Paragraph, Sentence

# A sentence ends at 。！？； or a line end. Semicolons split too: contract items chain separate duties
# with them ("乙方应…；乙方不得…"), and each duty is judged on its own.
_END = re.compile(r"[^。！？!?；;]*(?:[。！？!?；;]+[”’」』）)]*|$)")


def split_sentences(paragraphs: list[Paragraph]) -> list[Sentence]:
    out: list[Sentence] = []
    for p in paragraphs:
        for m in _END.finditer(p.text):
            s, e = m.start(), m.end()
            chunk = m.group()
            if not chunk.strip():
                continue
            lead = len(chunk) - len(chunk.lstrip())
            trail = len(chunk) - len(chunk.rstrip())
            out.append(Sentence(text=chunk.strip(), start=p.start + s + lead, end=p.start + e - trail,
                                paragraph=p.index, page=p.page))
    return out
