"""The concept lexicon (lexicon.yaml): shared words for acts, objects, places, times, recipients,
purposes, exceptions and disclaimers, named once and used by every rule as <concept-id>."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

HERE = Path(__file__).parent
_REF = re.compile(r"<([a-z][a-z0-9-]*)>")


class UnknownConcept(KeyError):
    pass


@lru_cache(maxsize=1)
def lexicon() -> dict:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(HERE / "lexicon.yaml", "rb") as fh:
        return yaml.load(fh, Loader=loader)


# concepts added by rule packs (lexicon.yaml in a pack folder): new ids only, never a redefinition
_EXTRA: dict[str, dict] = {}
_EXTRA_OWNER: dict[str, str] = {}
_merged: dict[str, dict] | None = None


def concepts() -> dict[str, dict]:
    if not _EXTRA:
        return lexicon()["concepts"]
    global _merged
    if _merged is None:
        _merged = {**lexicon()["concepts"], **_EXTRA}
    return _merged


def register_concepts(pack: str, added: dict) -> None:
    """Add a pack's concepts. An id of the built-in lexicon is refused, so a pack can never change
    what a built-in rule's <concept> means (two packs loaded together may not share an id either:
    packs._assemble refuses that)."""
    global _merged
    base = lexicon()["concepts"]
    for cid, entry in added.items():
        if cid in base:
            raise ValueError(f"概念 <{cid}> 已在内置词库中定义，不能重新定义；请换一个新名称")
        if not isinstance(entry, dict) or not isinstance(entry.get("words"), list) or not entry["words"]:
            raise ValueError(f"概念 <{cid}> 须写 words:（词语列表）")
        if _EXTRA.get(cid) != entry:
            if cid in _EXTRA:  # the same pack reloaded with other words: patterns must be rebuilt
                concept_pattern.cache_clear()
                compile_pattern.cache_clear()
            _EXTRA[cid] = entry
            _EXTRA_OWNER[cid] = pack
            _merged = None


def voices() -> dict[str, list[str]]:
    return lexicon()["voices"]


@lru_cache(maxsize=None)
def concept_pattern(cid: str) -> str:
    """The alternation a concept stands for, with nested concepts expanded (party placeholders stay
    for the document to fill in)."""
    try:
        words = concepts()[cid]["words"]
    except KeyError:
        raise UnknownConcept(cid) from None
    return "(?:" + "|".join(expand_concepts(str(w)) for w in words) + ")"


def expand_concepts(template: str) -> str:
    return _REF.sub(lambda m: concept_pattern(m.group(1)), template)


def concept_ids(template: str) -> list[str]:
    return _REF.findall(template)


def find_concepts(text: str, ids: list[str], roles: dict[str, str], spans: bool = False) -> dict[str, list]:
    """Which of the given concepts a text mentions, with the words found (for explanations); with
    spans=True, (word, start, end) for each hit."""
    out: dict[str, list] = {}
    for cid in ids:
        rx = _compiled(cid, tuple(sorted(roles.items())))
        if spans:
            found = [(m.group(), m.start(), m.end()) for m in rx.finditer(text)]
        else:
            found = list(dict.fromkeys(m.group() for m in rx.finditer(text)))
        if found:
            out[cid] = found
    return out


def _compiled(cid: str, roles: tuple) -> re.Pattern:
    return compile_pattern(f"<{cid}>", roles)


@lru_cache(maxsize=4096)
def compile_pattern(template: str, roles: tuple) -> re.Pattern:
    """A rule pattern with its concepts expanded and the contract's party names filled in
    (roles: sorted (placeholder, alternation) pairs)."""
    text = expand_concepts(template)
    for name, alt in roles:
        text = text.replace("{" + name + "}", alt)
    return re.compile(text)
