"""Loads the requirement rules (rules/*.yaml) and profiles (profiles.yaml) and checks their shape.

The built-in rules are one rule pack ("clausecheck-core", pack.yaml beside this file); the packs
shipped under packs/ and any a user adds (clause_library.packs) are loaded on top of it. A pack
may add requirements and profiles and tighten a built-in requirement under a new id; it may not
redefine an id another pack owns."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

HERE = Path(__file__).parent
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser: a cold start reads 26 files
Role = Literal["provider", "customer", "manager", "any", "provider-side"]
Modality = Literal["duty", "ban", "permission", "statement", "negated", "any"]


class UnknownProfile(ValueError):
    def __init__(self, profile: str, known: list[str]):
        super().__init__(f"unknown profile {profile!r}; known: {', '.join(known)}")
        self.profile = profile
        self.known = known


class Element(BaseModel):
    """Something a complete clause contains (a time limit, a recipient, a scope)."""

    model_config = ConfigDict(extra="forbid")
    any: list[str]  # regexes; each distinct one found counts once
    min: int = 1  # how many of them must be found
    missing: str  # the reason given when the element is absent (Chinese)
    # a deadline element: satisfied by 立即/及时-type words or a period of at most this many hours
    # (deadlines are normalised by nlp.deadlines: 两小时内 = 2 h, 五个工作日内 = 120 h)
    within_hours: float | None = None
    # read in the clause's own words, not its heading, definitions or the next sentence:
    # "附件二 安全措施" over "对员工进行培训" says nothing about what the training teaches
    in_clause: bool = False


class Signal(BaseModel):
    """One way a passage bears on a requirement."""

    model_config = ConfigDict(extra="forbid")
    name: str
    role: Literal["supports", "weakens", "conflicts"]
    all: list[str]  # regex groups; the first must match the sentence, the rest the sentence or its heading
    none: list[str] = Field(default_factory=list)  # any match here disqualifies the sentence
    # any match in the clause or the sentence that continues it undoes the reading ("保留30日，期满后删除")
    unless: list[str] = Field(default_factory=list)
    # supports only: the act itself refused ("不提供导出服务") makes the clause…
    banned: Literal["conflicts", "weakens"] = "weakens"
    # which of `all` locates the deciding verb (default the first)
    anchor: int = 0
    # supports only: the very act expressly not owed ("无义务删除") makes the clause…
    negated: Literal["conflicts", "weakens", "ignore"] = "conflicts"
    actor: Role = "any"  # who must be the subject of the governing verb
    modality: list[Modality] = Field(default_factory=lambda: ["any"])
    reason: str = ""  # why (Chinese): for weakens / conflicts, and for supports with nothing missing
    elements: dict[str, Element] = Field(default_factory=dict)  # supports only
    wrong_actor: Literal["weakens", "ignore"] = "weakens"  # the very act put on another party
    wrong_modality: Literal["weakens", "ignore"] = "weakens"  # the act only permitted or hedged
    # weakens only: true when it qualifies the duty itself (a hedge, the provider's discretion), so it
    # weakens even a complete clause elsewhere; false for a weaker alternative (a general-compliance
    # clause), which counts only when nothing better is found
    qualifies: bool = True


class Examples(BaseModel):
    model_config = ConfigDict(extra="forbid")
    satisfied: list[str] = Field(default_factory=list)
    weak: list[str] = Field(default_factory=list)
    conflicting: list[str] = Field(default_factory=list)
    missing: list[str] = Field(default_factory=list)  # unrelated texts that reuse the key words


class Source(BaseModel):
    doc: str
    section: str
    quote: str


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    title: str
    en: str
    severity: Literal["high", "medium", "low"]
    sources: list[Source]
    meaning: dict[str, str]
    looks_for: str = ""  # what a reader of a missing finding is told we looked for (Chinese)
    suggestion: str = ""  # model wording that satisfies the requirement
    signals: list[Signal] = Field(default_factory=list)  # tests/test_rules.py requires some for every rule
    recognizer: str | None = None  # a document-level recognizer in recognizers.py, for what no sentence shows
    examples: Examples = Field(default_factory=Examples)
    # a pack's stricter reading of a built-in requirement, judged beside it under this new id
    tightens: str | None = None


class AutoChoice(BaseModel):
    """`--profile auto` picks this profile instead of `replaces` when the contract cites one of `cites`."""

    model_config = ConfigDict(extra="forbid")
    replaces: str
    cites: list[str]


class Profile(BaseModel):
    id: str
    title: str
    source: str
    requirements: list[str]  # resolved: includes first, in order
    pack: str = "clausecheck-core"
    auto: AutoChoice | None = None


class PackInfo(BaseModel):
    """Who judged: a pack's name and version (pack.yaml) and the digest of its files."""

    name: str
    version: str
    title: str = ""
    sources: list[str] = Field(default_factory=list)
    path: str = ""
    digest: str = ""


class Library(BaseModel):
    rules: dict[str, Rule]
    profiles: dict[str, Profile]
    documents: dict[str, str]
    version: str
    packs: list[PackInfo] = Field(default_factory=list)
    origin: dict[str, str] = Field(default_factory=dict)  # requirement id -> pack name

    def pack(self, name: str) -> PackInfo | None:
        return next((p for p in self.packs if p.name == name), None)

    def pack_of(self, rule_id: str) -> PackInfo | None:
        return self.pack(self.origin.get(rule_id, ""))


def _load(rules_dir: Path, profiles_file: Path) -> Library:
    """The built-in library alone (kept for scripts and as the base the packs extend)."""
    from .packs import builtin_library

    return builtin_library()


def library(extra=None) -> Library:
    """The library judged with: the built-in rules, the shipped packs, and `extra` pack folders
    (None: the packs made active by clausecheck.packs.use_packs, or else CLAUSECHECK_RULES_DIRS)."""
    from .packs import active_dirs, build_library

    dirs = active_dirs() if extra is None else tuple(str(Path(d).resolve()) for d in extra)
    return build_library(dirs)


def _clear_cache() -> None:
    """Reload every pack from disk on the next library() (scripts that edit rule files in place)."""
    from .packs import build_library, builtin_library

    build_library.cache_clear()
    builtin_library.cache_clear()


library.cache_clear = _clear_cache  # as when library() was an lru_cache


def rules_version() -> str:
    return library().version


def list_profiles(lib: Library | None = None) -> list[dict]:
    lib = lib or library()
    out = []
    for p in lib.profiles.values():
        out.append({"id": p.id, "title": p.title, "source": p.source, "pack": p.pack, "requirements": [
            {"id": r, "title": lib.rules[r].title, "severity": lib.rules[r].severity, "pack": lib.origin.get(r, ""),
             "sources": [source_text(lib, s) for s in lib.rules[r].sources]} for r in p.requirements]})
    return out


def source_text(lib: Library, s: Source) -> str:
    return f"{lib.documents.get(s.doc, s.doc)} {s.section}：“{s.quote}”"


def get_profile(profile_id: str, lib: Library | None = None) -> Profile:
    lib = lib or library()
    if profile_id not in lib.profiles:
        raise UnknownProfile(profile_id, list(lib.profiles))
    return lib.profiles[profile_id]
