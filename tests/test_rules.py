"""Every rule's own examples (clause_library/rules/*.yaml): texts it must judge satisfied, weak,
conflicting, and unrelated texts that reuse its key words and must stay missing."""
from __future__ import annotations

import re

import pytest

from clause_library.engine import DocContext, judge
from clause_library.library import library
from nlp.document import assemble
from nlp.model import Block, RawDocument

# Examples are single clauses; a preamble gives them the parties a real contract would define.
PREAMBLE = "甲方（采购人）：某市政务服务数据管理局\n乙方（服务商）：某云科技有限公司\n"
ARCHIVES_PREAMBLE = ("甲方（档案部门）：某市档案馆\n乙方（服务方）：某云科技有限公司\n"
                     "丙方（政务云平台管理方）：某市大数据中心\n")
ARCHIVES_ONLY = set(library().profiles["archives-gov-cloud"].requirements) - set(
    library().profiles["party-gov-cloud"].requirements)


def _cases():
    for rid, rule in library().rules.items():
        for status, texts in rule.examples.model_dump().items():
            for i, text in enumerate(texts):
                yield pytest.param(rid, status, text, id=f"{rid}-{status}-{i}")


def judge_text(rid: str, text: str) -> dict:
    pre = ARCHIVES_PREAMBLE if rid in ARCHIVES_ONLY else PREAMBLE
    if re.match(r"^[甲乙丙]方[（(：:]", text):
        pre = ""  # the example names its own parties (tripartite-agreement is about who signs)
    raw = RawDocument("txt", [Block(line) for line in (pre + text).split("\n")])
    doc = assemble(raw, "example.txt", "0" * 64)
    return judge(DocContext(doc), library().rules[rid])


@pytest.mark.parametrize("rid,status,text", list(_cases()))
def test_rule_example(rid, status, text):
    finding = judge_text(rid, text)
    assert finding["status"] == status, (finding["reasons"], finding["evidence"])
    if status != "missing":
        assert finding["evidence"], "a verdict other than missing must show its passage"
    assert finding["reasons"]


@pytest.mark.parametrize("rid", sorted(library().rules))
def test_rule_is_complete(rid):
    rule = library().rules[rid]
    assert rule.looks_for and rule.suggestion and (rule.signals or rule.recognizer)
    ex = rule.examples
    assert ex.satisfied and ex.weak and ex.missing, "each rule needs accepted, weak and unrelated examples"
    assert rule.recognizer or any(s.role == "supports" for s in rule.signals)
    # the model wording must itself satisfy the rule
    assert judge_text(rid, rule.suggestion)["status"] == "satisfied"


def test_profiles_cover_the_catalogue():
    lib = library()
    party = lib.profiles["party-gov-cloud"].requirements
    archives = lib.profiles["archives-gov-cloud"].requirements
    assert len(party) == 18 and len(archives) == 25
    assert archives[:18] == party
