"""Rule packs: folders of requirement rules a legal specialist can add without touching code.

A pack is a folder holding

    pack.yaml        name, version, title, sources (the documents its requirements rest on)
    profiles.yaml    its profiles (may `includes` profiles of other packs) and `documents`
    rules/*.yaml     one requirement per file, in the built-in format, with its examples
    lexicon.yaml     optional: new concepts (`concepts:`), never a redefinition of an existing one
    fixtures/*.txt   optional: short labelled contracts (`# profile:` / `# expect:`), checked by
                     `clausecheck rules check`

The built-in library is itself a pack (clausecheck-core: pack.yaml, rules/, profiles.yaml beside
this file); the packs under packs/ ship with the product and are always loaded; `--rules DIR`
(CLI, batch) and CLAUSECHECK_RULES_DIRS (server) add more. Ids are global: a pack may add
requirements and tighten one under a new id (`tightens: termination-deletion`), but redefining an
id another pack owns is refused, so a built-in id always means what the built-in rule says.
"""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

import yaml
from pydantic import ValidationError

from .library import HERE, AutoChoice, Library, PackInfo, Profile, Rule, _LOADER

ENV = "CLAUSECHECK_RULES_DIRS"
BUILTIN = "clausecheck-core"
SHIPPED = HERE / "packs"


class PackError(ValueError):
    """A pack that cannot be loaded; `problems` are messages a legal specialist can act on."""

    def __init__(self, problems: list[str]):
        super().__init__("；".join(problems) if len(problems) < 4 else "；".join(problems[:3]) + f"（另有 {len(problems) - 3} 处）")
        self.problems = problems


# ---------------------------------------------------------------------------------- which packs

_active: tuple[str, ...] | None = None  # set by use_packs; None: read the environment


def dirs_from_env(value: str | None = None) -> list[Path]:
    """The pack folders named in CLAUSECHECK_RULES_DIRS (os.pathsep-separated, like PATH)."""
    raw = os.environ.get(ENV, "") if value is None else value
    return [Path(p).expanduser() for p in raw.split(os.pathsep) if p.strip()]


def use_packs(dirs, export: bool = True) -> Library:
    """Make these pack folders (in addition to the built-in and shipped packs) the ones every later
    `library()` / `review()` uses, and load them now so a broken pack fails at start-up, not on the
    first contract. With `export`, CLAUSECHECK_RULES_DIRS is set too, so worker processes started
    afterwards (spawned, they do not inherit this module's state) load the same packs."""
    global _active
    resolved = tuple(str(Path(d).expanduser().resolve()) for d in dirs)
    lib = build_library(resolved)  # raises PackError before anything is switched
    _active = resolved
    if export:
        if resolved:
            os.environ[ENV] = os.pathsep.join(resolved)
        else:
            os.environ.pop(ENV, None)
    return lib


def reset_packs() -> None:
    """Forget use_packs (tests): the environment decides again."""
    global _active
    _active = None


def active_dirs() -> tuple[str, ...]:
    if _active is not None:
        return _active
    return tuple(str(p.resolve()) for p in dirs_from_env())


def shipped_dirs() -> list[Path]:
    return sorted(p for p in SHIPPED.iterdir() if (p / "pack.yaml").is_file()) if SHIPPED.is_dir() else []


def load_packs(extra_dirs=()) -> Library:
    """The library made of the built-in pack, the shipped packs and `extra_dirs`."""
    return build_library(tuple(str(Path(d).expanduser().resolve()) for d in extra_dirs))


def list_packs(lib: Library | None = None) -> list[dict]:
    """Every loaded pack with its version, sources, requirements and profiles (for `clausecheck
    profiles`, the web page and the API)."""
    from .library import library

    lib = lib or library()
    out = []
    for p in lib.packs:
        out.append({"name": p.name, "version": p.version, "title": p.title, "sources": p.sources,
                    "path": p.path, "digest": p.digest,
                    "requirements": [rid for rid, owner in lib.origin.items() if owner == p.name],
                    "profiles": [{"id": pr.id, "title": pr.title, "requirements": len(pr.requirements)}
                                 for pr in lib.profiles.values() if pr.pack == p.name]})
    return out


# ---------------------------------------------------------------------------------- loading

@lru_cache(maxsize=1)
def builtin_library() -> Library:
    """The built-in pack alone: what the segmenter's rule terms and the published figures rest on."""
    return _assemble([_read_pack(HERE, builtin=True)])


@lru_cache(maxsize=8)
def build_library(extra: tuple[str, ...]) -> Library:
    packs = [_read_pack(HERE, builtin=True)] + [_read_pack(d) for d in shipped_dirs()]
    seen = {str(p.resolve()) for p in shipped_dirs()}
    for d in extra:
        if d not in seen:
            seen.add(d)
            packs.append(_read_pack(Path(d)))
    return _assemble(packs)


class _Raw:
    """A pack as read from disk, before it is merged with the others."""

    def __init__(self, info: PackInfo, rules: dict[str, Rule], profiles: dict, documents: dict, concepts: dict):
        self.info, self.rules, self.profiles, self.documents, self.concepts = info, rules, profiles, documents, concepts


def _yaml(path: Path, digest=None):
    raw = path.read_bytes()
    if digest is not None:
        digest.update(raw)
    try:
        return yaml.load(raw, Loader=_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第{mark.line + 1}行" if mark else ""
        raise PackError([f"{path.name} {where}：不是有效的 YAML（{getattr(exc, 'problem', exc)}）"]) from None


def _read_pack(folder: Path, builtin: bool = False) -> _Raw:
    folder = Path(folder)
    if not folder.is_dir():
        raise PackError([f"{folder}：规则包目录不存在 / rule pack folder not found"])
    meta_file = folder / "pack.yaml"
    if not meta_file.is_file():
        raise PackError([f"{folder}：缺少 pack.yaml（规则包的名称、版本和依据文件）"])
    digest = hashlib.sha256()
    meta = _yaml(meta_file) or {}
    missing = [k for k in ("name", "version") if not meta.get(k)]
    if missing:
        raise PackError([f"{folder.name}/pack.yaml：缺少 {'、'.join(missing)}"])
    rules: dict[str, Rule] = {}
    problems: list[str] = []
    for path in sorted((folder / "rules").glob("*.yaml")):
        data = _yaml(path, digest)
        try:
            rule = Rule.model_validate(data)
        except ValidationError as exc:
            from .packcheck import validation_messages

            problems += validation_messages(exc, path, folder)
            continue
        if rule.id != path.stem:
            problems.append(f"rules/{path.name}：id “{rule.id}” 必须与文件名（{path.stem}）一致")
            continue
        rules[rule.id] = rule
    profiles_file = folder / "profiles.yaml"
    pdata = (_yaml(profiles_file, digest) or {}) if profiles_file.is_file() else {}
    concepts = {}
    if (folder / "lexicon.yaml").is_file() and not builtin:
        concepts = (_yaml(folder / "lexicon.yaml", digest) or {}).get("concepts") or {}
    if builtin:
        digest.update((HERE / "lexicon.yaml").read_bytes())  # as the digest has always been made
    if problems:
        raise PackError(problems)
    info = PackInfo(name=str(meta["name"]), version=str(meta["version"]), title=str(meta.get("title", "")),
                    sources=[str(s) for s in meta.get("sources") or []], path=str(folder.resolve()),
                    digest=digest.hexdigest()[:12])
    return _Raw(info, rules, pdata.get("profiles") or {}, pdata.get("documents") or {}, concepts)


def _assemble(packs: list[_Raw]) -> Library:
    from .lexicon import register_concepts

    rules: dict[str, Rule] = {}
    origin: dict[str, str] = {}
    documents: dict[str, str] = {}
    problems: list[str] = []
    names: dict[str, str] = {}
    concept_owner: dict[str, str] = {}
    for pk in packs:
        if pk.info.name in names:
            problems.append(f"规则包名称 “{pk.info.name}” 重复（{names[pk.info.name]} 与 {pk.info.path}）")
        names[pk.info.name] = pk.info.path
        for rid, rule in pk.rules.items():
            if rid in rules:
                problems.append(
                    f"{pk.info.name}: rules/{rid}.yaml：要求 id “{rid}” 已由规则包 {origin[rid]} 定义，不能重新定义。"
                    f"如需更严格的要求，请换一个新 id，并写 tightens: {rid}")
                continue
            if rule.tightens and rule.tightens not in rules:
                problems.append(f"{pk.info.name}: rules/{rid}.yaml：tightens 指向的要求 “{rule.tightens}” 不存在")
            rules[rid] = rule
            origin[rid] = pk.info.name
        for doc, text in pk.documents.items():
            if doc in documents and documents[doc] != text:
                problems.append(f"{pk.info.name}: profiles.yaml：依据文件代号 “{doc}” 已有不同的名称（{documents[doc]}）")
            documents.setdefault(doc, str(text))
        for cid in pk.concepts:
            if cid in concept_owner:
                problems.append(f"{pk.info.name}: lexicon.yaml：概念 <{cid}> 已由规则包 {concept_owner[cid]} 定义，请换一个名称")
            concept_owner.setdefault(cid, pk.info.name)
        if pk.concepts:
            try:
                register_concepts(pk.info.name, pk.concepts)
            except ValueError as exc:
                problems.append(f"{pk.info.name}: lexicon.yaml：{exc}")
    profiles = _resolve_profiles(packs, rules, problems)
    if problems:
        raise PackError(problems)
    if len(packs) == 1:
        version = packs[0].info.digest  # the built-in alone: the rules version it has always had
    else:
        version = hashlib.sha256("|".join(f"{p.info.name}:{p.info.digest}" for p in packs).encode()).hexdigest()[:12]
    return Library(rules=rules, profiles=profiles, documents=documents, version=version,
                   packs=[p.info for p in packs], origin=origin)


def _includes(p: dict) -> list[str]:
    inc = p.get("includes") or []
    return [inc] if isinstance(inc, str) else [str(i) for i in inc]


def _resolve_profiles(packs: list[_Raw], rules: dict[str, Rule], problems: list[str]) -> dict[str, Profile]:
    """Profiles in dependency order: an included profile's requirements first, each requirement once."""
    pending: dict[str, tuple[str, dict]] = {}
    for pk in packs:
        for pid, p in pk.profiles.items():
            if pid in pending:
                problems.append(f"{pk.info.name}: profiles.yaml：审查模板 id “{pid}” 已由规则包 {pending[pid][0]} 定义")
                continue
            pending[pid] = (pk.info.name, p or {})
    profiles: dict[str, Profile] = {}
    while pending:
        progressed = False
        for pid, (pack, p) in list(pending.items()):
            inc = _includes(p)
            unknown_inc = [i for i in inc if i not in profiles and i not in pending]
            if unknown_inc:
                problems.append(f"{pack}: profiles.yaml：模板 {pid} 包含的模板 {'、'.join(unknown_inc)} 不存在")
                del pending[pid]
                continue
            if any(i not in profiles for i in inc):
                continue
            reqs: list[str] = []
            for i in inc:
                reqs += [r for r in profiles[i].requirements if r not in reqs]
            reqs += [r for r in (p.get("requirements") or []) if r not in reqs]
            unknown = [r for r in reqs if r not in rules]
            if unknown:
                problems.append(f"{pack}: profiles.yaml：模板 {pid} 列出的要求没有对应规则：{'、'.join(unknown)}")
            try:
                auto = AutoChoice.model_validate(p["auto"]) if p.get("auto") else None
            except ValidationError:
                problems.append(f"{pack}: profiles.yaml：模板 {pid} 的 auto 须写 replaces（被替代的模板）和 cites（引用的法规）")
                auto = None
            profiles[pid] = Profile(id=pid, title=str(p.get("title", pid)), source=str(p.get("source", "")),
                                    requirements=[r for r in reqs if r in rules], pack=pack, auto=auto)
            del pending[pid]
            progressed = True
        if pending and not progressed:
            problems.append(f"profiles.yaml：模板互相包含，无法展开：{'、'.join(pending)}")
            break
    return profiles
