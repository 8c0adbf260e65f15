"""Rule packs (clause_library/packs.py): the shipped gov-cloud-extended pack, a department's own pack
written here into tmp_path (a house requirement and a stricter deletion deadline), id clashes,
`rules check` messages, `rules new` scaffolds, and the packs a review records."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from clause_library import review
from clause_library.library import library
from clause_library.packcheck import check_pack
from clause_library.packs import PackError, dirs_from_env, list_packs, load_packs, reset_packs, use_packs
from clause_library.scaffold import new_rule
from nlp.document import assemble
from nlp.model import Block, RawDocument

SHIPPED = Path(__file__).resolve().parents[1] / "clause_library" / "packs" / "gov-cloud-extended"
EXTENDED = ["gov-data-no-retention", "no-association-analysis", "pi-entrustment-terms", "pi-return-or-delete",
            "pi-no-sub-entrustment", "cii-security-agreement"]


def doc_of(text: str, name: str = "c.txt"):
    return assemble(RawDocument("txt", [Block(x) for x in textwrap.dedent(text).strip().splitlines()]), name, "0" * 64)


# ------------------------------------------------------------------------------ a department's pack

HOUSE_RULE = """\
id: house-log-retention
title: 运维操作日志留存不少于一年
en: The provider keeps operation logs of the customer's systems for at least one year.
severity: medium
sources:
- doc: HOUSE-2025
  section: 第七条
  quote: 云服务运维操作日志应当留存一年以上
meaning:
  satisfied: a duty on the provider to keep operation logs for a year or more.
  weak: logs kept, but for less than a year or for no stated period.
  conflicting: the provider may delete operation logs whenever it sees fit.
looks_for: 服务方留存运维操作日志不少于一年的义务
suggestion: 乙方应完整记录对甲方系统的运维操作，操作日志留存不少于一年。
signals:
  - name: logs-kept
    role: supports
    all: ['日志', '留存|保存|保留']
    actor: provider-side
    modality: [duty, statement]
    elements:
      period:
        any: ['(?:一|1|两|二|2|三|3)年']
        missing: 未约定日志留存不少于一年
  - name: logs-deleted-at-will
    role: conflicts
    all: ['日志', '<act-delete>', '<discretion>|随时']
    actor: provider-side
    modality: [permission]
    reason: 服务方可随意删除运维操作日志
examples:
  satisfied:
    - 乙方应将全部运维操作日志留存一年以上。
  weak:
    - 乙方应当保存运维操作日志。
  conflicting:
    - 乙方可随时删除运维操作日志。
  missing:
    - 甲方应指定专人查看系统告警。
"""

DEADLINE_RULE = """\
id: house-deletion-7d
tightens: termination-deletion
title: 合同终止后七日内彻底删除数据
en: Within seven days of termination the provider deletes the customer's data completely.
severity: high
sources:
- doc: HOUSE-2025
  section: 第九条
  quote: 服务合同终止后，服务方应当在七日内彻底删除本单位数据
meaning:
  satisfied: complete deletion within seven days of the end of the contract.
  weak: complete deletion without a deadline, or with a longer one.
  conflicting: the provider may keep the data after termination.
looks_for: 合同终止后七日内彻底删除甲方数据（含备份）的义务
suggestion: 本合同终止后，乙方应在7日内彻底删除甲方数据及全部备份，确保不可恢复。
signals:
  - name: deletion-duty
    role: supports
    all: ['<act-delete>', '<end-of-service>', '<data-word>|<customer-data>']
    actor: provider-side
    modality: [duty, statement]
    elements:
      complete:
        any: ['彻底|全部|不可恢复|备份|副本']
        missing: 未要求彻底删除（含备份、不可恢复）
      seven-days:
        any: ['(?:[1-7一二三四五六七])(?:个)?(?:日|天|自然日|工作日)(?:以)?内|立即|即时']
        missing: 未约定七日内删除
  - name: retention-right
    role: conflicts
    all: ['<act-retain>', '<data-word>|<customer-data>', '<end-of-service>|之后|以后']
    actor: provider-side
    modality: [permission]
    reason: 服务方在合同终止后仍可保留甲方数据
examples:
  satisfied:
    - 合同终止后，乙方应在7日内彻底删除甲方数据及其全部备份，确保不可恢复。
  weak:
    - 合同终止后，乙方应在30日内彻底删除甲方数据及其全部备份。
  conflicting:
    - 合同终止后，乙方有权保留甲方数据六个月。
  missing:
    - 乙方应在七日内完成系统部署。
"""

HOUSE_PROFILES = """\
documents:
  HOUSE-2025: 某市大数据局《政务云服务数据安全管理办法》（2025年）
profiles:
  house-gov-cloud:
    title: 某市大数据局政务云合同（含本局要求）
    source: CAC-2014 + HOUSE-2025
    includes: [gov-cloud-extended]
    requirements: [house-log-retention, house-deletion-7d]
"""


def write_pack(folder: Path, rules: dict[str, str], profiles: str = HOUSE_PROFILES, name: str = "house-bigdata") -> Path:
    (folder / "rules").mkdir(parents=True, exist_ok=True)
    (folder / "pack.yaml").write_text(
        f"name: {name}\nversion: \"2025.1\"\ntitle: 某市大数据局内部要求\nsources:\n- 某市大数据局《政务云服务数据安全管理办法》\n",
        encoding="utf-8")
    (folder / "profiles.yaml").write_text(profiles, encoding="utf-8")
    for rid, text in rules.items():
        (folder / "rules" / f"{rid}.yaml").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def house_pack(tmp_path) -> Path:
    return write_pack(tmp_path / "house", {"house-log-retention": HOUSE_RULE, "house-deletion-7d": DEADLINE_RULE})


CONTRACT = """\
甲方（采购人）：某市大数据局
乙方（服务商）：某某云服务有限公司
第一条 乙方应将全部运维操作日志留存两年。
第二条 本合同终止后，乙方应在30日内彻底删除甲方数据及全部备份，确保不可恢复。
"""


def test_department_pack_judges_a_contract_through_the_library(house_pack):
    result = review(doc_of(CONTRACT), "house-gov-cloud", packs=[house_pack])
    found = {f["requirement"]: f for f in result["findings"]}
    # the profile: the built-in 18, the extended pack's 6, the house pack's 2
    assert list(found)[:18] == library().profiles["party-gov-cloud"].requirements
    assert set(EXTENDED) <= set(found) and len(found) == 26
    assert found["house-log-retention"]["status"] == "satisfied"
    # 30 days satisfies the built-in requirement but not the house's stricter seven days
    assert found["termination-deletion"]["status"] == "satisfied"
    deadline = found["house-deletion-7d"]
    assert deadline["status"] == "weak" and "未约定七日内删除" in deadline["reasons"]
    assert deadline["tightens"] == "termination-deletion"
    assert deadline["pack"] == {"name": "house-bigdata", "version": "2025.1"}
    assert deadline["sources"] == ["某市大数据局《政务云服务数据安全管理办法》（2025年） 第九条：“服务合同终止后，服务方应当在七日内彻底删除本单位数据”"]
    assert found["termination-deletion"]["pack"]["name"] == "clausecheck-core"
    assert [p["name"] for p in result["packs"]] == ["clausecheck-core", "gov-cloud-extended", "house-bigdata"]
    assert result["packs"][2]["version"] == "2025.1"


def test_house_pack_passes_rules_check(house_pack):
    assert [str(p) for p in check_pack(house_pack)] == []


def test_redefining_a_builtin_id_is_refused(tmp_path):
    clash = HOUSE_RULE.replace("id: house-log-retention", "id: termination-deletion")
    folder = write_pack(tmp_path / "clash", {"termination-deletion": clash},
                        profiles="profiles: {}\n")
    with pytest.raises(PackError) as err:
        load_packs([folder])
    msg = "；".join(err.value.problems)
    assert "termination-deletion" in msg and "clausecheck-core" in msg and "tightens" in msg
    assert any("不能重新定义" in str(p) for p in check_pack(folder))


def test_redefining_a_builtin_profile_or_concept_is_refused(tmp_path):
    folder = write_pack(tmp_path / "p", {}, profiles="profiles:\n  party-gov-cloud:\n    title: x\n    requirements: []\n")
    with pytest.raises(PackError, match="party-gov-cloud"):
        load_packs([folder])
    folder = write_pack(tmp_path / "c", {}, profiles="profiles: {}\n")
    (folder / "lexicon.yaml").write_text("concepts:\n  act-delete:\n    words: [删掉]\n", encoding="utf-8")
    with pytest.raises(PackError, match="act-delete"):
        load_packs([folder])


def test_tightening_must_name_an_existing_requirement(tmp_path):
    broken = DEADLINE_RULE.replace("tightens: termination-deletion", "tightens: no-such-requirement")
    folder = write_pack(tmp_path / "t", {"house-deletion-7d": broken}, profiles="profiles: {}\n")
    with pytest.raises(PackError, match="no-such-requirement"):
        load_packs([folder])


def test_rules_check_gives_actionable_messages(tmp_path):
    bad = HOUSE_RULE.replace("    role: conflicts", "    role: conflict").replace("severity: medium", "severity: urgent")
    bad = bad.replace("    - 乙方应当保存运维操作日志。", "    - 乙方应将运维操作日志留存三年。")
    folder = write_pack(tmp_path / "bad", {"house-log-retention": bad}, profiles="profiles: {}\n")
    messages = [str(p) for p in check_pack(folder)]
    line_of_role = bad.splitlines().index("    role: conflict") + 1
    assert f"rules/house-log-retention.yaml 第{line_of_role}行：signals[1].role 只能是 supports / weakens / conflicts（现为 “conflict”）" in messages
    assert any(m.startswith("rules/house-log-retention.yaml 第4行：severity 只能是 high / medium / low") for m in messages)
    # once the schema is right, the examples are judged and a wrong label is reported with its line
    fixed = bad.replace("role: conflict\n", "role: conflicts\n").replace("severity: urgent", "severity: medium")
    folder = write_pack(tmp_path / "bad2", {"house-log-retention": fixed},
                        profiles="profiles:\n  h:\n    title: h\n    requirements: [house-log-retention]\n")
    messages = [str(p) for p in check_pack(folder)]
    line = fixed.splitlines().index("    - 乙方应将运维操作日志留存三年。") + 1
    assert messages == [f"rules/house-log-retention.yaml 第{line}行：示例 examples.weak[0] 应判为薄弱，实际判为满足"
                        f"（已约定：服务方留存运维操作日志不少于一年的义务）。请修改示例或规则的 signals"]


def test_rules_check_reports_a_wrong_file_name_an_unknown_concept_and_a_missing_pack_yaml(tmp_path):
    folder = write_pack(tmp_path / "x", {"house-logs": HOUSE_RULE.replace("'日志', '留存", "'<log-words>', '留存")},
                        profiles="profiles: {}\n")
    messages = [str(p) for p in check_pack(folder)]
    assert any("id “house-log-retention” 必须与文件名 house-logs 一致" in m for m in messages)
    assert any("概念 <log-words> 不存在" in m for m in messages)
    (folder / "pack.yaml").unlink()
    assert any("缺少 pack.yaml" in str(p) for p in check_pack(folder))


def test_tightening_rule_may_not_be_looser_than_the_rule_it_tightens(tmp_path):
    loose = DEADLINE_RULE.replace("    - 合同终止后，乙方应在7日内彻底删除甲方数据及其全部备份，确保不可恢复。",
                                  "    - 合同终止后，乙方应在7日内删除甲方数据。\n"
                                  "    - 合同终止后，乙方应在7日内彻底删除甲方数据及其全部备份，确保不可恢复。")
    loose = loose.replace("      complete:\n        any: ['彻底|全部|不可恢复|备份|副本']\n        missing: 未要求彻底删除（含备份、不可恢复）\n", "")
    folder = write_pack(tmp_path / "l", {"house-deletion-7d": loose},
                        profiles="profiles:\n  h:\n    title: h\n    requirements: [house-deletion-7d]\n")
    messages = [str(p) for p in check_pack(folder)]
    assert any("收紧 termination-deletion" in m and "examples.satisfied[0]" in m for m in messages), messages


def test_rules_new_fails_with_placeholders_and_passes_once_filled(tmp_path):
    from clause_library.scaffold import write_new_rule

    folder = tmp_path / "newpack"
    path = write_new_rule("house-log-retention", folder)
    messages = [str(p) for p in check_pack(folder)]
    assert messages and all("待填写" in m for m in messages)
    assert any(m.startswith("rules/house-log-retention.yaml 第") for m in messages)
    # every section the scaffold offers is a field of the rule format
    assert set(yaml.safe_load(new_rule("house-log-retention"))) >= {
        "id", "title", "en", "severity", "sources", "meaning", "looks_for", "suggestion", "signals", "examples"}
    # the specialist fills it in: the rule, pack.yaml and a profile
    path.write_text(HOUSE_RULE, encoding="utf-8")
    write_pack(folder, {}, profiles=HOUSE_PROFILES.replace("house-log-retention, house-deletion-7d", "house-log-retention"))
    assert [str(p) for p in check_pack(folder)] == []


def test_rules_cli_check_and_new(tmp_path, capsys, house_pack):
    import argparse

    from service import rules_cli

    ap = argparse.ArgumentParser()
    rules_cli.add_parser(ap.add_subparsers(dest="command"))

    def run(*argv):
        args = ap.parse_args(list(argv))
        return args.func(args)

    assert run("rules", "check", str(house_pack)) == 0
    assert run("rules", "new", "house-x", "--dir", str(tmp_path / "n")) == 0
    assert (tmp_path / "n" / "rules" / "house-x.yaml").is_file()
    assert run("rules", "check", str(tmp_path / "n")) == 1
    out = capsys.readouterr().out
    assert "待填写" in out and "规则包检查通过" in out
    assert run("rules", "new", "House X", "--dir", str(tmp_path / "n")) == 2


# ------------------------------------------------------------------------------ the shipped pack

def test_shipped_pack_passes_rules_check():
    """Its examples, model wordings and labelled fixtures (fixtures/*.txt) are judged as labelled."""
    assert [str(p) for p in check_pack(SHIPPED)] == []
    assert len(list((SHIPPED / "fixtures").glob("*.txt"))) >= 3


def test_shipped_pack_is_loaded_by_default_and_keeps_builtin_profiles():
    lib = library()
    ext = lib.profiles["gov-cloud-extended"]
    assert ext.requirements[:18] == lib.profiles["party-gov-cloud"].requirements
    assert ext.requirements[18:] == EXTENDED
    arch = lib.profiles["archives-gov-cloud-extended"].requirements
    assert arch[:25] == lib.profiles["archives-gov-cloud"].requirements and arch[25:] == EXTENDED
    assert {r: lib.origin[r] for r in EXTENDED} == {r: "gov-cloud-extended" for r in EXTENDED}
    for rid in EXTENDED:  # every requirement quotes its article
        assert all(s.section.startswith("第") and len(s.quote) > 15 for s in lib.rules[rid].sources)


def test_every_review_records_packs_and_versions():
    result = review(doc_of(CONTRACT), "party-gov-cloud")
    assert [p["name"] for p in result["packs"]] == ["clausecheck-core"]
    assert all(f["pack"]["name"] == "clausecheck-core" for f in result["findings"])
    result = review(doc_of(CONTRACT), "gov-cloud-extended")
    assert [(p["name"], p["version"]) for p in result["packs"]] == [("clausecheck-core", "1.0"), ("gov-cloud-extended", "1.0.0")]
    assert {f["pack"]["name"] for f in result["findings"][18:]} == {"gov-cloud-extended"}
    assert "数据安全法" in result["findings"][18]["sources"][0]


def test_review_fits_the_published_schema():
    import json

    jsonschema = pytest.importorskip("jsonschema")
    schema_file = Path(__file__).resolve().parents[2] / "shared" / "spec" / "review.schema.json"
    if not schema_file.is_file():
        pytest.skip("schema not found")
    jsonschema.validate(review(doc_of(CONTRACT), "gov-cloud-extended"), json.loads(schema_file.read_text(encoding="utf-8")))


def test_auto_profile_chooses_extended_only_when_the_laws_are_cited():
    plain = doc_of(CONTRACT)
    assert review(plain)["profile"] == "party-gov-cloud"
    cites = doc_of(CONTRACT.replace("第一条", "第零条 双方依据《中华人民共和国数据安全法》订立本合同。\n第一条"))
    assert review(cites)["profile"] == "gov-cloud-extended"
    archives = doc_of("甲方（档案部门）：某县档案馆\n乙方（服务方）：某云公司\n第一条 依据《中华人民共和国个人信息保护法》，乙方应保密。")
    assert review(archives)["profile"] == "archives-gov-cloud-extended"
    archives_plain = doc_of("甲方（档案部门）：某县档案馆\n乙方（服务方）：某云公司\n第一条 乙方应保密。")
    assert review(archives_plain)["profile"] == "archives-gov-cloud"


def test_list_packs_names_every_pack_and_its_profiles(house_pack):
    packs = {p["name"]: p for p in list_packs(load_packs([house_pack]))}
    assert list(packs) == ["clausecheck-core", "gov-cloud-extended", "house-bigdata"]
    assert [p["id"] for p in packs["gov-cloud-extended"]["profiles"]] == ["gov-cloud-extended", "archives-gov-cloud-extended"]
    assert packs["house-bigdata"]["requirements"] == ["house-deletion-7d", "house-log-retention"]
    assert packs["clausecheck-core"]["version"] == "1.0"


def test_use_packs_and_the_environment(house_pack, monkeypatch):
    monkeypatch.delenv("CLAUSECHECK_RULES_DIRS", raising=False)
    try:
        assert "house-gov-cloud" not in library().profiles
        use_packs([house_pack])
        assert "house-gov-cloud" in library().profiles
        import os

        assert os.environ["CLAUSECHECK_RULES_DIRS"] == str(house_pack.resolve())  # spawned workers see it
        reset_packs()
        assert "house-gov-cloud" in library().profiles  # read from the environment now
        monkeypatch.setenv("CLAUSECHECK_RULES_DIRS", "")
        assert "house-gov-cloud" not in library().profiles
        assert dirs_from_env(f"/a{__import__('os').pathsep}/b") == [Path("/a"), Path("/b")]
        with pytest.raises(PackError):
            use_packs([house_pack / "nowhere"])
    finally:
        reset_packs()


def test_builtin_library_alone_keeps_its_version():
    from clause_library.packs import builtin_library

    assert library().version != builtin_library().version  # the shipped pack is part of today's library
    assert [p.name for p in builtin_library().packs] == ["clausecheck-core"]
