"""The engine's reading of meaning: modality, subject, hedges, exceptions near and far, definitions,
conflicts outweighing support. Uses the shipped rules on small contracts."""
from __future__ import annotations

from clause_library import review
from nlp.document import assemble
from nlp.model import Block, RawDocument

PRE = "甲方（采购人）：某市政务服务数据管理局\n乙方（服务商）：某云科技有限公司（以下简称“云科”）\n"


def status(text: str, rid: str, profile: str = "party-gov-cloud") -> str:
    doc = assemble(RawDocument("txt", [Block(x) for x in (PRE + text).split("\n")]), "t.txt", "0" * 64)
    return next(f for f in review(doc, profile)["findings"] if f["requirement"] == rid)["status"]


def test_alias_from_preamble_is_the_provider():
    assert status("合同终止后，云科应彻底删除甲方数据及全部备份。", "termination-deletion") == "satisfied"


def test_ban_on_retention_is_not_a_retention_right():
    text = "合同终止后，乙方应彻底删除甲方数据及全部备份，不得保留任何副本。"
    assert status(text, "termination-deletion") == "satisfied"


def test_condition_modal_does_not_govern_main_clause():
    text = "发现安全事件或者数据可能泄露的，乙方应立即向甲方和公安机关报告。"
    assert status(text, "incident-reporting") == "satisfied"


def test_wrong_party_doing_the_very_act_is_weak():
    assert status("合同终止后，甲方应彻底删除其数据及全部备份。", "termination-deletion") == "weak"


def test_hedge_weakens_and_unhedged_twin_satisfies():
    assert status("乙方的数据中心原则上应设在中华人民共和国境内。", "domestic-hosting") == "weak"
    assert status("乙方的数据中心应设在中华人民共和国境内。", "domestic-hosting") == "satisfied"


def test_conflict_elsewhere_outweighs_satisfying_clause():
    text = ("第五条 乙方的数据中心应设在中华人民共和国境内。\n"
            "第十九条 为提供服务，乙方可能将甲方数据传输至其位于境外的服务器进行处理。")
    assert status(text, "domestic-hosting") == "conflicting"


def test_definition_widens_ownership_clause():
    narrow = "第一条 “甲方数据”指甲方上传的文件。\n第九条 甲方数据归甲方所有。"
    wide = "第一条 “甲方数据”指甲方提供的数据以及业务系统运行过程中产生、收集的数据和日志。\n第九条 甲方数据归甲方所有。"
    assert status(narrow, "data-ownership") == "weak"
    assert status(wide, "data-ownership") == "satisfied"


def test_far_exception_weakens_the_rule_it_names():
    text = ("第六条 合同终止后，乙方应彻底删除甲方数据及全部备份。\n"
            "第二十条 第六条的约定不适用于乙方为改进服务而认为必要的数据。")
    assert status(text, "termination-deletion") == "weak"


def test_consent_exception_does_not_weaken():
    text = "合同终止后，乙方应彻底删除甲方数据及全部备份，但经甲方书面同意的除外。"
    assert status(text, "termination-deletion") == "satisfied"


def test_duty_and_deadline_in_consecutive_clauses_combine():
    text = ("发生安全事件的，乙方应在1小时内报告甲方；"
            "乙方还应同时向网信部门和公安机关报告。")
    assert status(text, "incident-reporting") == "satisfied"


def test_silence_is_missing():
    assert status("甲方应按季度支付服务费。", "termination-deletion") == "missing"


def test_review_has_one_finding_per_requirement_in_profile_order():
    doc = assemble(RawDocument("txt", [Block("甲方（档案部门）：某市档案馆"), Block("乙方应遵守法律。")]), "a.txt", "0" * 64)
    r = review(doc)
    assert r["profile"] == "archives-gov-cloud"
    assert len(r["findings"]) == 25
    assert sum(r["summary"][k] for k in ("satisfied", "weak", "conflicting", "missing")) == 25


def test_whole_document_search_finds_every_passage_a_per_passage_search_finds():
    """candidate_hits searches each act once over the joined passages; that must never lose a passage
    that matches on its own - including acts with a negative lookahead that could see the next
    passage, and acts anchored at a passage's start."""
    from pathlib import Path

    from clause_library.engine import DocContext
    from clause_library.library import library
    from nlp.document import read_path

    here = Path(__file__).parent
    files = sorted((here / "annotated").glob("*.txt")) + sorted((here.parents[1] / "shared/corpus/dev").glob("*.txt"))
    assert len(files) >= 15
    crafted = assemble(RawDocument("txt", [Block(t) for t in (
        "历史数据迁移与校验：20日", "系统内的数据，甲方可以导出的，应先审批", "导出功能由乙方提供。")]),
        name="crafted.txt", sha256="0")
    docs = [read_path(str(f)) for f in files] + [crafted]
    joined = 0
    for doc in docs:
        ctx = DocContext(doc)
        for rule in library().rules.values():
            for sig in rule.signals:
                rx = ctx.pattern(sig.all[0])
                where = ctx.passages_matching(rx)
                alone = {p.index for p in ctx.passages if rx.search(p.text)}
                if where is None:
                    continue
                assert alone <= where, (doc.name, sig.name, sorted(alone - where))
                joined += 1
    assert joined > 1000  # most acts take the joined search; the few unsafe ones search per passage
