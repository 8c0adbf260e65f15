"""Clause frames and the explain command: who acts, how firmly, what a list item inherits, vendor
voices and brands, and the rule line that decided. Texts are the team's own wording."""
from __future__ import annotations

import json

from clause_library import review
from clause_library.explain import explain, format_text
from nlp.document import assemble
from nlp.model import Block, RawDocument
from nlp.parties import find_parties
from service.cli import main


def doc_of(text: str):
    return assemble(RawDocument("txt", [Block(x) for x in text.split("\n")]), "t.txt", "0" * 64)


def finding(text: str, rid: str) -> dict:
    return next(f for f in review(doc_of(text), "party-gov-cloud")["findings"] if f["requirement"] == rid)


VENDOR = "本条款由澄湖云计算有限公司（以下简称“澄湖云”）与使用其服务的客户（以下简称“您”）订立。\n"


def test_brand_named_in_the_preamble_is_the_provider():
    assert find_parties(VENDOR + "澄湖云将为您提供存储服务。")["provider"] == ["澄湖云"]


def test_brand_found_from_how_often_it_acts():
    text = "星栈云服务协议\n" + "星栈云将按约定提供服务。星栈云有权调整价格。星栈云应保障服务可用。星栈云会通知您。\n"
    assert "星栈云" in find_parties(text).get("provider", [])


def test_negated_duty_is_not_a_duty():
    f = finding(VENDOR + "服务到期后，澄湖云没有为您继续保存、导出或者返还存储数据的义务。", "portability")
    assert f["status"] == "conflicting"
    assert any("不承担该义务" in r for r in f["reasons"])
    assert "没有为您继续保存" in f["evidence"][0]["text"]


def test_list_item_reads_its_lead_ins_disclaimer():
    text = VENDOR + "对下列原因造成的数据丢失，澄湖云不承担责任：\n（一）黑客攻击或计算机病毒；\n（二）电力中断。"
    f = finding(text, "security-responsibility")
    assert f["status"] == "conflicting"
    assert any(e["text"].startswith("（一）黑客攻击") for e in f["evidence"])


def test_acknowledgement_preface_is_not_the_verb():
    # "您应了解" binds nobody; the disclaimer after it is the provider's
    text = VENDOR + "您应了解，因网络攻击造成数据泄露的，澄湖云不承担赔偿责任。"
    assert finding(text, "security-responsibility")["status"] == "conflicting"


def test_clause_without_subject_continues_the_first_subject():
    text = ("甲方（采购人）：某市统计局\n乙方（服务商）：某云网络有限公司\n"
            "乙方可将甲方业务数据提供给合作单位使用，无需另行征得甲方同意。")
    f = finding(text, "no-unauthorized-use")
    assert f["status"] == "conflicting"


def test_retention_window_then_deletion_is_not_a_retention_right():
    text = VENDOR + "服务到期后，澄湖云为您保留数据10日以便下载，期满后删除全部数据及备份，且不可恢复。"
    f = finding(text, "termination-deletion")
    assert f["status"] == "satisfied", f["reasons"]


def test_retention_right_conflicts_even_with_a_later_deletion_date():
    text = VENDOR + "服务终止后，澄湖云有权保留您的数据副本两年，期满后再行删除。"
    f = finding(text, "termination-deletion")
    assert f["status"] == "conflicting"
    assert "保留" in f["reasons"][0]


def test_explain_shows_frames_and_the_deciding_line():
    text = VENDOR + "服务终止后，澄湖云有权保留您的数据副本两年，期满后再行删除。"
    result = explain(doc_of(text), "termination-deletion")
    decided = [c for c in result["candidates"] if c["outcome"] == "conflicts"]
    assert decided and decided[0]["decided_by"].startswith("retention-right")
    frame = decided[0]["frame"]
    assert frame["actor"] == ["provider"] and frame["modality"] == "permission"
    assert "end-of-service" in frame["slots"]["time"]
    assert "retention-right" in format_text(result)


def test_explain_command(tmp_path, capsys):
    path = tmp_path / "c.txt"
    path.write_text(VENDOR + "服务到期后，澄湖云没有返还您数据的义务。", encoding="utf-8")
    assert main(["explain", str(path), "termination-handover", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["requirement"] == "termination-handover" and out["candidates"]
    assert main(["explain", str(path), "no-such-requirement"]) == 2
    assert "unknown requirement" in capsys.readouterr().err


PRE = "甲方（采购人）：某市统计局\n乙方（服务商）：某云网络有限公司\n"


def test_words_that_happen_to_meet_are_not_read():
    # 以研究 here is the tail of 可以 followed by 研究: jieba does not cut a word there
    text = PRE + "服务商收到客户关于数据使用的投诉后，可以研究处理并答复客户。"
    assert finding(text, "data-ownership")["status"] == "missing"


def test_the_same_words_as_words_are_read():
    text = PRE + "服务商可以将客户数据用于研究开发新的产品。"
    f = finding(text, "data-ownership")
    assert f["status"] == "conflicting" and "用于研究" in f["evidence"][0]["text"]


def test_a_term_the_segmenter_splits_is_kept_whole():
    # jieba cuts 可用区内 as 可用/区内; 可用区 is a term of the rules, so the substring fallback keeps it
    from nlp.segment import search_tokens

    assert ("可用区", 16, 19) not in search_tokens("服务商将在用户下单时选定的地域和可用区内存放用户上传的数据。")
    text = PRE + "服务商将在用户下单时选定的地域和可用区内存放用户上传的数据。"
    assert finding(text, "domestic-hosting")["status"] == "weak"
