"""Honesty of the rule library: rule examples and patterns are the team's own wording.

A string anywhere in the rule library (every string value of clause_library/**/*.yaml: rules, lexicon,
profiles) must not share 16 or more consecutive characters (whitespace ignored) with a contract or label
file of the measured corpora (../shared/corpus/, fixtures/), unless the policies themselves
(../shared/seeds/*, ../shared/spec/*) contain those characters, or the shared run lies inside a law's
title in 《》. Rules copied from the documents they are scored on measure memory, not meaning.

Also: no rule string (or comment) names a corpus file, i.e. nothing is written for one document.

Fast by construction: one set of 16-character windows for the corpus, one for the policies, and a set
look-up per window of each rule string. Failure messages name the rule file, the field, the first 40
characters of the rule string and the corpus files it shares wording with.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from pathlib import Path

import pytest
import yaml

from nlp.normalize import normalize

N = 16
ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "clause_library"
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
FIXTURES = ROOT / "fixtures"
POLICY_DIRS = (SHARED / "seeds", SHARED / "spec")
TEXT_SUFFIXES = {".txt", ".md", ".yaml", ".yml"}

# ASCII punctuation folded to its Chinese form, so the archives seed's "," and "(" compare with "，" "（"
# (applied alike to every side: rule strings, corpus and policies)
_FOLD = str.maketrans({",": "，", ";": "；", ":": "：", "(": "（", ")": "）", "!": "！", "?": "？"})
# pinyin glosses after characters in the archives seed: "自治區(qū)" -> "自治區"
_GLOSS = re.compile(r"\([A-Za-z\u00C0-\u024F\u1E00-\u1EFF]+\)")
_WS = re.compile(r"\s+")


def key(text: str) -> str:
    """The comparison form: project normalisation (widths, variants, traditional -> simplified), ASCII
    punctuation folded to Chinese, all whitespace removed."""
    return _WS.sub("", normalize(unicodedata.normalize("NFC", text)).translate(_FOLD))


_CJK = re.compile(r"[\u3400-\u9fff]")


def wording(window: str) -> bool:
    """A run that can carry contract wording: at least 4 Chinese characters. Whitespace-free English
    (the rule files' `en:`/`means:` glosses) collides by chance: "causedbythecusto" is no copy."""
    return len(_CJK.findall(window)) >= 4


def windows(text: str) -> set[str]:
    return {text[i:i + N] for i in range(len(text) - N + 1)}


# ---------------------------------------------------------------------------------------------- reading

def read_docx(path: Path) -> str:
    import docx  # python-docx

    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    for table in d.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    for section in d.sections:
        for part in (section.header, section.footer):
            parts.extend(p.text for p in part.paragraphs)
    return "\n".join(parts)


def read_pdf(path: Path) -> str | None:
    try:
        import pypdfium2 as pdfium
    except ImportError:  # the .txt sources of the built PDFs are scanned anyway (fixtures/corpus/sources)
        return None
    pdf = pdfium.PdfDocument(str(path))
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in pdf)
    finally:
        pdf.close()


def read_any(path: Path) -> str | None:
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return path.read_text(encoding="utf-8", errors="replace")
    if suffix == ".docx":
        return read_docx(path)
    if suffix == ".pdf":
        return read_pdf(path)
    return None  # scripts (.py) and other files are not contract text


def corpus_files() -> list[Path]:
    files: list[Path] = []
    for base in (CORPUS, FIXTURES):
        if base.is_dir():
            files.extend(p for p in sorted(base.rglob("*")) if p.is_file())
    return files


def label(path: Path) -> str:
    for base in (SHARED, ROOT):
        try:
            return str(path.relative_to(base))
        except ValueError:
            pass
    return str(path)


def policy_text() -> str:
    parts = []
    for d in POLICY_DIRS:
        if d.is_dir():
            for p in sorted(d.iterdir()):
                if p.is_file():
                    # the archives seed: traditional characters with pinyin glosses; strip the glosses,
                    # normalize() (in key) converts to simplified as the project does
                    parts.append(_GLOSS.sub("", p.read_text(encoding="utf-8", errors="replace")))
    return "\n".join(parts)


def library_files() -> list[Path]:
    return sorted(LIBRARY.rglob("*.yaml")) + sorted(LIBRARY.rglob("*.yml"))


def strings_in(node, path: str = ""):
    """Every string value of a YAML tree (keys are structure, not wording), with its place."""
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from strings_in(v, f"{path}.{k}" if path else str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from strings_in(v, f"{path}[{i}]")


@lru_cache(maxsize=1)
def rule_strings() -> tuple[tuple[str, str, str], ...]:
    out = []
    for f in library_files():
        text = f.read_text(encoding="utf-8")
        try:
            found = list(strings_in(yaml.safe_load(text)))
        except yaml.YAMLError:
            # a file being edited may not parse: judge its lines as they stand (comments left out)
            found = [(f"line {n} (file does not parse as YAML)", line.strip())
                     for n, line in enumerate(text.splitlines(), 1) if not line.lstrip().startswith("#")]
        out.extend((str(f.relative_to(ROOT)), where, s) for where, s in found)
    return tuple(out)


@lru_cache(maxsize=1)
def corpus_index() -> tuple[dict[str, list[str]], list[str]]:
    """16-character window -> corpus files holding it (policy windows already taken out)."""
    allowed = windows(key(policy_text()))
    index: dict[str, list[str]] = {}
    unread = []
    for p in corpus_files():
        text = read_any(p)
        if text is None:
            if p.suffix.lower() == ".pdf":
                unread.append(label(p))
            continue
        name = label(p)
        for w in windows(key(text)) - allowed:
            if wording(w):
                index.setdefault(w, []).append(name)
    return index, unread


def law_title_spans(s: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"《[^《》]*》", s)]


def offenders() -> list[tuple[str, str, str, list[str]]]:
    index, _ = corpus_index()
    found = []
    for rule_file, where, raw in rule_strings():
        s = key(raw)
        if len(s) < N:
            continue
        spans = law_title_spans(s)
        hits: set[str] = set()
        for i in range(len(s) - N + 1):
            names = index.get(s[i:i + N])
            if names and not any(a <= i and i + N <= b for a, b in spans):
                hits.update(names)
        if hits:
            found.append((rule_file, where, raw, sorted(hits)))
    return found


# ---------------------------------------------------------------------------------------------- tests

def _need_corpus():
    if not CORPUS.is_dir():
        pytest.skip(f"shared corpus not found at {CORPUS}: cannot check rule strings against it")


def test_key_folds_the_archives_seed_into_simplified_prose():
    seed = "各省、自治區(qū)、直轄市檔案局"
    assert key(_GLOSS.sub("", seed)) == "各省、自治区、直辖市档案局"
    assert key("甲 方\n数据 , 不得") == "甲方数据，不得"


def test_english_glosses_do_not_count_as_copies():
    assert not wording("causedbythecusto")
    assert wording("合同终止后乙方应彻底删除甲方数据")


def test_policy_allow_list_is_read():
    if not all(d.is_dir() for d in POLICY_DIRS):
        pytest.skip(f"policies not found under {SHARED}: no allow-list to check")
    pol = key(policy_text())
    # a CAC-2014 sentence and an SAA-2020 sentence (the latter only readable once normalised)
    assert "未经党政部门授权，不得访问、修改、披露、利用、转让、销毁党政部门数据" in pol
    assert "档案部门要监督政务云平台管理方、服务方彻底删除有关数据" in pol


def test_rule_strings_are_found():
    assert len(rule_strings()) > 100
    assert any(f.startswith("clause_library/rules/") for f, _, _ in rule_strings())


def test_no_rule_string_copies_the_corpus():
    _need_corpus()
    found = offenders()
    if found:
        lines = [f"{len(found)} rule-library strings share >= {N} consecutive characters with a corpus or "
                 f"fixture file (and not with the policies):"]
        for rule_file, where, raw, files in found:
            opening = _WS.sub(" ", raw)[:40]
            lines.append(f"  {rule_file} {where}: {opening!r} <- {', '.join(files)}")
        pytest.fail("\n".join(lines), pytrace=False)


def corpus_names() -> set[str]:
    """Identifiers of corpus documents: file name, stem, slug and the short id (c02, dev03, a08, 13_…)."""
    names: set[str] = set()
    for p in corpus_files():
        if p.name.endswith(".labels.yaml") or p.suffix.lower() not in {".txt", ".docx", ".pdf"}:
            continue
        stem = p.name.split(".")[0]
        names.update({p.name.lower(), stem.lower()})
        m = re.match(r"^([a-z]*\d+)_(.+)$", stem, re.I)
        if m:
            short, slug = m.groups()
            names.add(slug.lower())
            if re.match(r"^[a-z]+\d+$", short, re.I):
                names.add(short.lower())  # "c02", "dev01", "a08"
    return {n for n in names if len(n) >= 3}


def test_no_rule_names_a_corpus_file():
    _need_corpus()
    names = corpus_names()
    assert names
    pattern = re.compile(r"(?<![a-z0-9])(?:" + "|".join(map(re.escape, sorted(names, key=len, reverse=True)))
                         + r")(?![0-9])", re.I)
    hits = []
    for f in library_files():
        # comments included: "# veto for dev03" says the same as a string would
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            for m in pattern.finditer(line):
                hits.append(f"  {f.relative_to(ROOT)}:{n}: names {m.group(0)!r}")
    assert not hits, "rule library written for named corpus files:\n" + "\n".join(hits)


_GENERIC_ALIAS = re.compile(r"^(?:本|主|该|[省市县区]?(?:档案馆|档案局|大数据(?:发展)?中心)$)|协议|合同|文件|服务|平台|系统|"
                            r"账号|账户|条款|指引|网站|开发者|市场|用户|客户|产品|数据|附件|规则|政策")


def _party_names() -> dict[str, str]:
    """Names the corpus contracts give their parties in the preamble ("乙方（服务商）：某某云科技有限公司",
    "以下简称“宏穹云”"): a rule string mentioning one of them was written for that document."""
    generic = set("甲方 乙方 丙方 丁方 采购人 采购方 供应商 服务商 服务方 服务提供者 云服务商 用户 客户 委托方 受托方 "
                  "管理方 运营方 承建方 需求方 使用单位 运营单位 见证方 档案馆 档案局 我们 本公司 本平台 您".split())
    out: dict[str, str] = {}
    pre = re.compile(r"^[^\n：:]{1,20}[：:]\s*([^\n，。；（(]{3,40})", re.M)
    alias = re.compile(r"(?:简称|下称|以下称)[“\"「]([^”\"」]{2,12})[”\"」]")
    for p in corpus_files():
        if p.suffix.lower() != ".txt" or "sources" in p.parts or p.name.endswith(".labels.yaml"):
            continue
        text = key(p.read_text(encoding="utf-8", errors="replace")[:1500])
        cands = {a for a in alias.findall(text) if not _GENERIC_ALIAS.search(a)}
        head = normalize(p.read_text(encoding="utf-8", errors="replace")[:600])
        for m in pre.finditer(head):
            name = _WS.sub("", m.group(1))
            if re.search(r"(?:公司|中心|局|馆|委|院|集团|厅|办)$", name):
                cands.add(name)
        for c in cands:
            if c not in generic and not c.startswith(("某", "XX", "××")):
                out.setdefault(c, label(p))
    return out


def test_no_rule_names_a_corpus_party():
    _need_corpus()
    names = _party_names()
    hits = []
    for rule_file, where, raw in rule_strings():
        s = key(raw)
        for name, doc in names.items():
            if name in s:
                hits.append(f"  {rule_file} {where}: names {name!r}, a party of {doc}")
    assert not hits, "rule strings name a party of one corpus contract:\n" + "\n".join(hits)
