"""`clausecheck rules check DIR`: everything that can be wrong with a rule pack, as messages a legal
specialist can act on ("rules/x.yaml 第12行：signals[0].role 只能是 supports / weakens / conflicts").

Checks, in order: pack.yaml; each rule file (YAML, fields, id = file name, placeholders left by
`rules new`, patterns that compile and name known concepts); the pack loaded beside the built-in
library (ids that clash, `tightens`, profiles); every example judged as labelled, the model
wording judged satisfied, a tightening rule no looser than the rule it tightens; the labelled
fixture contracts (fixtures/*.txt) judged as annotated.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

STATUS_ZH = {"satisfied": "满足", "weak": "薄弱", "conflicting": "冲突", "missing": "缺失"}
PLACEHOLDER = re.compile(r"待填写|TODO|FIXME")
# Examples are single clauses; a preamble gives them the parties a real contract would define
# (as tests/test_rules.py does for the built-in rules).
PREAMBLE = "甲方（采购人）：某市政务服务数据管理局\n乙方（服务商）：某云科技有限公司\n"

# what a legal reader is told for each kind of pydantic error
_ERR = {
    "missing": "缺少必填项",
    "extra_forbidden": "不认识的字段（拼写错误？请对照 clausecheck rules new 生成的模板）",
    "string_type": "应当是一段文字",
    "list_type": "应当是列表（每项一行，以 - 开头）",
    "dict_type": "应当是若干“名称: 内容”组成的段落",
    "model_type": "应当是若干“名称: 内容”组成的段落",
    "int_parsing": "应当是整数",
    "float_parsing": "应当是数字",
    "bool_parsing": "应当是 true 或 false",
}


@dataclass
class Problem:
    file: str      # relative to the pack folder
    line: int | None
    message: str

    def __str__(self) -> str:
        if not self.file:
            return self.message
        return f"{self.file}{f' 第{self.line}行' if self.line else ''}：{self.message}"


# ------------------------------------------------------------------------------ YAML positions

def _positions(text: str) -> dict[tuple, int]:
    """(key, index, …) path -> 1-based line of that node, from the YAML node tree."""
    out: dict[tuple, int] = {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return out

    def walk(node, path):
        out[path] = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                out[path + (k.value,)] = k.start_mark.line + 1
                walk(v, path + (k.value,))
                out[path + (k.value,)] = k.start_mark.line + 1  # the key's own line
        elif isinstance(node, yaml.SequenceNode):
            for i, v in enumerate(node.value):
                walk(v, path + (i,))

    if root is not None:
        walk(root, ())
    return out


def _field(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _line(positions: dict[tuple, int], loc: tuple) -> int | None:
    loc = tuple(loc)
    while loc:
        if loc in positions:
            return positions[loc]
        loc = loc[:-1]
    return positions.get(())


def _message(err: dict) -> str:
    kind = err.get("type", "")
    field = _field(tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))))
    if kind == "literal_error":
        allowed = (err.get("ctx") or {}).get("expected", "")
        allowed = " / ".join(re.findall(r"'([^']+)'", allowed)) or allowed
        return f"{field} 只能是 {allowed}（现为 “{err.get('input')}”）"
    return f"{field} {_ERR.get(kind, err.get('msg', kind))}"


def validation_messages(exc: ValidationError, path: Path, folder: Path) -> list[str]:
    return [str(p) for p in _validation_problems(exc, path, folder)]


def _validation_problems(exc: ValidationError, path: Path, folder: Path) -> list[Problem]:
    positions = _positions(path.read_text(encoding="utf-8"))
    rel = _rel(path, folder)
    return [Problem(rel, _line(positions, tuple(e["loc"])), _message(e)) for e in exc.errors()]


def _rel(path: Path, folder: Path) -> str:
    try:
        return str(path.relative_to(folder))
    except ValueError:
        return path.name


# ------------------------------------------------------------------------------ the checks

def check_pack(folder) -> list[Problem]:
    """All problems of the pack in `folder` (empty: the pack is clean)."""
    folder = Path(folder).expanduser().resolve()
    if not folder.is_dir():
        return [Problem(str(folder), None, "不是目录 / not a directory")]
    problems = _check_meta(folder) + _register_lexicon(folder)
    rules = {}
    for path in sorted((folder / "rules").glob("*.yaml")):
        rule, found = _check_rule_file(path, folder)
        problems += found
        if rule is not None:
            rules[rule.id] = (rule, path)
    if not rules and not (folder / "profiles.yaml").is_file():
        problems.append(Problem("rules/", None, "规则包中没有任何要求（rules/*.yaml）"))
    if problems:
        return problems  # the pack cannot be loaded as it stands; judging would only repeat these
    from .packs import PackError, load_packs

    try:
        lib = load_packs([folder])
    except PackError as exc:
        return [Problem("", None, m) for m in exc.problems]
    used = {r for prof in lib.profiles.values() for r in prof.requirements}
    for rid, (rule, path) in rules.items():
        if rid not in used:
            problems.append(Problem(_rel(path, folder), None,
                                    f"要求 {rid} 未列入任何审查模板（profiles.yaml 的 requirements），不会被审查"))
        problems += _check_examples(lib, rule, path, folder)
    problems += _check_fixtures(lib, folder, set(rules))
    return problems


def _register_lexicon(folder: Path) -> list[Problem]:
    """The pack's own concepts, registered before its patterns are compiled."""
    path = folder / "lexicon.yaml"
    if not path.is_file():
        return []
    from .lexicon import register_concepts
    from .packs import PackError, _yaml

    try:
        data = _yaml(path) or {}
        name = (yaml.safe_load((folder / "pack.yaml").read_text(encoding="utf-8")) or {}).get("name", folder.name)
        register_concepts(str(name), data.get("concepts") or {})
    except (PackError, ValueError, OSError, yaml.YAMLError) as exc:
        return [Problem("lexicon.yaml", None, str(exc))]
    return []


def _check_meta(folder: Path) -> list[Problem]:
    meta = folder / "pack.yaml"
    if not meta.is_file():
        return [Problem("pack.yaml", None, "缺少 pack.yaml：请写明 name（包名）、version（版本）、title（标题）、sources（依据文件）")]
    try:
        data = yaml.safe_load(meta.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return [Problem("pack.yaml", mark.line + 1 if mark else None, f"不是有效的 YAML（{getattr(exc, 'problem', exc)}）")]
    out = []
    for key, zh in (("name", "包名"), ("version", "版本"), ("title", "标题"), ("sources", "依据文件列表")):
        if not data.get(key):
            out.append(Problem("pack.yaml", None, f"缺少 {key}（{zh}）"))
    out += [Problem("pack.yaml", n, "仍有待填写的占位内容") for n in _placeholder_lines(meta)]
    return out


def _placeholder_lines(path: Path) -> list[int]:
    return [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if not line.lstrip().startswith("#") and PLACEHOLDER.search(line.split(" #")[0])]


def _check_rule_file(path: Path, folder: Path):
    from .library import Rule

    rel = _rel(path, folder)
    text = path.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        return None, [Problem(rel, mark.line + 1 if mark else None, f"不是有效的 YAML（{getattr(exc, 'problem', exc)}）")]
    problems = [Problem(rel, n, "仍有待填写的占位内容（“待填写”/TODO），请替换为实际内容") for n in _placeholder_lines(path)]
    if not isinstance(data, dict):
        return None, problems + [Problem(rel, 1, "文件应当是若干“名称: 内容”组成的要求定义")]
    try:
        rule = Rule.model_validate(data)
    except ValidationError as exc:
        return None, problems + _validation_problems(exc, path, folder)
    positions = _positions(text)
    if rule.id != path.stem:
        problems.append(Problem(rel, _line(positions, ("id",)), f"id “{rule.id}” 必须与文件名 {path.stem} 一致"))
    if not rule.signals and not rule.recognizer:
        problems.append(Problem(rel, None, "没有任何 signals：引擎无从判断"))
    elif rule.signals and not any(s.role == "supports" for s in rule.signals):
        problems.append(Problem(rel, _line(positions, ("signals",)), "signals 中至少要有一条 role: supports（满足要求的写法）"))
    if not rule.looks_for:
        problems.append(Problem(rel, None, "缺少 looks_for（告诉读者找的是什么约定）"))
    if not rule.suggestion:
        problems.append(Problem(rel, None, "缺少 suggestion（满足要求的示范条款）"))
    for status in ("satisfied", "weak", "missing"):
        if not getattr(rule.examples, status):
            problems.append(Problem(rel, _line(positions, ("examples",)),
                                    f"examples.{status} 至少需要一个示例（{STATUS_ZH[status]}）"))
    problems += _check_patterns(rule, positions, rel)
    return (rule if not problems else None), problems


def _check_patterns(rule, positions, rel) -> list[Problem]:
    from .lexicon import UnknownConcept, compile_pattern

    out = []
    roles = (("customer", "甲方"), ("manager", "丙方"), ("party", "甲方|乙方"), ("provider", "乙方"))
    for i, sig in enumerate(rule.signals):
        groups = [("all", j, p) for j, p in enumerate(sig.all)] + [("none", j, p) for j, p in enumerate(sig.none)] + \
                 [("unless", j, p) for j, p in enumerate(sig.unless)]
        groups += [("elements", name, p) for name, el in sig.elements.items() for p in el.any]
        for key, j, pat in groups:
            loc = ("signals", i, key, j) if key != "elements" else ("signals", i, "elements", j)
            try:
                compile_pattern(pat, roles)
            except UnknownConcept as exc:
                out.append(Problem(rel, _line(positions, loc),
                                   f"signals[{i}].{key}：概念 <{exc.args[0]}> 不存在（见 clause_library/lexicon.yaml，或在本包 lexicon.yaml 中新增）"))
            except re.error as exc:
                out.append(Problem(rel, _line(positions, loc), f"signals[{i}].{key}：正则表达式有误（{exc.msg}）：{pat}"))
        if not sig.all:
            out.append(Problem(rel, _line(positions, ("signals", i)), f"signals[{i}].all 至少需要一个表达式"))
        if sig.anchor >= max(1, len(sig.all)):
            out.append(Problem(rel, _line(positions, ("signals", i, "anchor")), f"signals[{i}].anchor 超出 all 的项数"))
    return out


def judge_text(lib, rule, text: str) -> dict:
    """One example clause judged by one rule, with the parties a contract preamble would give."""
    from nlp.document import assemble
    from nlp.model import Block, RawDocument

    from .engine import DocContext, judge

    pre = "" if re.match(r"^[甲乙丙]方[（(：:]", text) else PREAMBLE
    raw = RawDocument("txt", [Block(line) for line in (pre + text).split("\n")])
    return judge(DocContext(assemble(raw, "example.txt", "0" * 64)), rule, lib)


def _check_examples(lib, rule, path: Path, folder: Path) -> list[Problem]:
    rel = _rel(path, folder)
    positions = _positions(path.read_text(encoding="utf-8"))
    out = []
    for status, texts in rule.examples.model_dump().items():
        for i, text in enumerate(texts):
            got = judge_text(lib, rule, text)
            if got["status"] != status:
                why = "；".join(got["reasons"])[:80]
                out.append(Problem(rel, _line(positions, ("examples", status, i)),
                                   f"示例 examples.{status}[{i}] 应判为{STATUS_ZH[status]}，实际判为{STATUS_ZH[got['status']]}"
                                   f"（{why}）。请修改示例或规则的 signals"))
    if rule.suggestion:
        got = judge_text(lib, rule, rule.suggestion)
        if got["status"] != "satisfied":
            out.append(Problem(rel, _line(positions, ("suggestion",)),
                               f"示范条款 suggestion 本身应判为满足，实际判为{STATUS_ZH[got['status']]}"))
    if rule.tightens and rule.tightens in lib.rules:
        base = lib.rules[rule.tightens]
        for i, text in enumerate(rule.examples.satisfied):
            got = judge_text(lib, base, text)
            if got["status"] != "satisfied":
                out.append(Problem(rel, _line(positions, ("examples", "satisfied", i)),
                                   f"本要求收紧 {rule.tightens}，但示例 examples.satisfied[{i}] 在原要求下判为"
                                   f"{STATUS_ZH[got['status']]}：收紧后的要求不能比原要求更宽松"))
    return out


# ------------------------------------------------------------------------------ fixtures

_PROFILE = re.compile(r"^#\s*profile:\s*(?P<profile>[\w-]+)\s*$")
_EXPECT = re.compile(r"^#\s*expect:\s*(?P<rid>[\w-]+)\s*=\s*(?P<status>\w+)\s*$")


def parse_fixture(text: str):
    """(profile, contract lines, {requirement: (status, clause, line number)}, problems) of a labelled
    contract in the annotated format (tests/annotated): first line `# profile: ID`, `# expect:
    REQ=STATUS` above the clause that decides it, other `#` lines comments."""
    lines = text.splitlines()
    m = _PROFILE.match(lines[0]) if lines else None
    profile = m.group("profile") if m else ""
    problems = [] if m else [(1, "第一行应为 # profile: 审查模板id")]
    body, expect, pending = [], {}, []
    for n, line in enumerate(lines[1:], 2):
        s = line.strip()
        if s.startswith("#"):
            e = _EXPECT.match(s)
            if e:
                pending.append((n, e))
            elif s.lstrip("#").strip().startswith("expect"):
                problems.append((n, f"无法识别的标注：{s}"))
            continue
        if not s:
            continue
        body.append(s)
        for at, e in pending:
            if e.group("status") not in STATUS_ZH:
                problems.append((at, f"未知的状态 {e.group('status')}（只能是 satisfied / weak / conflicting / missing）"))
            expect[e.group("rid")] = (e.group("status"), s, at)
        pending = []
    if pending:
        problems.append((pending[0][0], "标注下方没有条款"))
    return profile, body, expect, problems


def _check_fixtures(lib, folder: Path, own: set[str]) -> list[Problem]:
    from nlp.document import assemble
    from nlp.model import Block, RawDocument

    from .engine import review

    out = []
    for path in sorted((folder / "fixtures").glob("*.txt")):
        rel = _rel(path, folder)
        profile, body, expect, problems = parse_fixture(path.read_text(encoding="utf-8"))
        out += [Problem(rel, n, msg) for n, msg in problems]
        if problems:
            continue
        if profile not in lib.profiles:
            out.append(Problem(rel, 1, f"审查模板 {profile} 不存在"))
            continue
        reqs = lib.profiles[profile].requirements
        for rid in expect:
            if rid not in reqs:
                out.append(Problem(rel, expect[rid][2], f"{rid} 不属于审查模板 {profile}"))
        doc = assemble(RawDocument("txt", [Block(x) for x in body]), path.name, "0" * 64)
        found = {f["requirement"]: f for f in review(doc, profile, packs=[folder])["findings"]}
        # annotated requirements as annotated; the pack's own requirements not annotated: missing
        for rid in reqs:
            if rid not in expect and rid not in own:
                continue
            want, clause, at = expect.get(rid, ("missing", "", None))
            got = found[rid]["status"]
            if got != want:
                out.append(Problem(rel, at, f"{rid} 应判为{STATUS_ZH[want]}，实际判为{STATUS_ZH[got]}"
                                            f"（{'；'.join(found[rid]['reasons'])[:80]}）"))
    return out
