"""What judging produces before a verdict: one passage's bearing on one requirement, with the frame
that was read from it, and the registry of document-level recognizers (as Presidio keeps its
recognizers: small functions behind a name, each returning scored, explained results)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterable


@dataclass
class Hit:
    role: str  # supports | weakens | conflicts
    sentence: int
    reasons: list[str]
    signal: str
    # a weakening that qualifies the duty itself (hedge, broad exception, discretion) rather than a
    # weaker mention elsewhere (the same act on another party, or only permitted)
    qualifies: bool = True
    frame: object | None = None  # frames.Frame, for `clausecheck explain`
    decided_by: str = ""  # the rule line that decided (signal name and the test that applied)


RECOGNIZERS: dict[str, Callable[[object], Iterable[Hit]]] = {}


def recognizer(name: str):
    """Registers a document-level recognizer under the name rule files use (`recognizer: NAME`)."""

    def deco(fn):
        RECOGNIZERS[name] = fn
        return fn

    return deco
