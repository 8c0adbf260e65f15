"""`clausecheck` as users and scripts call it: exit statuses, JSON that validates against the
published schema, and accuracy on the labelled corpora (dev and our own)."""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from clause_library.evaluate import evaluate
from service.cli import main
from service.pipeline import review_path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SCHEMA = SHARED / "spec" / "review.schema.json"
DEV = SHARED / "corpus" / "dev"
SAMPLE = ROOT / "fixtures" / "sample" / "base_contract.txt"
needs_shared = pytest.mark.skipif(not SCHEMA.exists(), reason="../shared/spec not beside the checkout")


@needs_shared
def test_check_json_validates_against_schema(capsys):
    code = main(["check", str(SAMPLE), "--format", "json"])
    review = json.loads(capsys.readouterr().out)
    jsonschema.validate(review, json.loads(SCHEMA.read_text(encoding="utf-8")))
    assert review["profile"] == "archives-gov-cloud"  # auto: the customer is an archives department
    assert code == (0 if review["summary"]["verdict"] == "pass" else 1)


@needs_shared
def test_several_files_give_an_array(capsys, tmp_path):
    other = tmp_path / "b.txt"
    other.write_text("甲方（采购人）：某局\n乙方（供应商）：某公司\n乙方应按月提交运行报告。", encoding="utf-8")
    code = main(["check", str(SAMPLE), str(other), "--format", "json", "--profile", "party-gov-cloud"])
    reviews = json.loads(capsys.readouterr().out)
    assert isinstance(reviews, list) and len(reviews) == 2
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    for r in reviews:
        jsonschema.validate(r, schema)
        assert r["profile"] == "party-gov-cloud" and len(r["findings"]) == 18
    assert code == 1


def test_unreadable_file_and_bad_profile_exit_2(tmp_path, capsys):
    empty = tmp_path / "empty.docx"
    empty.write_bytes(b"")
    assert main(["check", str(empty)]) == 2
    assert "文件为空" in capsys.readouterr().err
    assert main(["check", str(SAMPLE), "--profile", "no-such"]) == 2
    assert main(["check", str(tmp_path / "absent.pdf")]) == 2


@pytest.mark.parametrize("fmt", ["table", "md", "html", "docx"])
def test_report_formats_write_files(fmt, tmp_path):
    out = tmp_path / f"r.{fmt}"
    assert main(["check", str(SAMPLE), "--format", fmt, "--output", str(out)]) in (0, 1)
    data = out.read_bytes()
    assert len(data) > 200
    if fmt in ("md", "html", "table"):
        assert "数据" in data.decode("utf-8")


def test_parse_profiles_rules(capsys):
    assert main(["parse", str(SAMPLE), "--format", "json"]) == 0
    parsed = json.loads(capsys.readouterr().out)
    assert parsed["parties"]["manager"]
    assert main(["profiles"]) == 0 and "archives-gov-cloud" in capsys.readouterr().out
    assert main(["rules", "--profile", "party-gov-cloud"]) == 0
    out = capsys.readouterr().out
    assert "termination-deletion" in out and "tripartite-agreement" not in out


def test_diff_reports_regressions(tmp_path, capsys):
    good = tmp_path / "good.txt"
    bad = tmp_path / "bad.txt"
    pre = "甲方（采购人）：某局\n乙方（供应商）：某公司\n"
    good.write_text(pre + "乙方的数据中心应设在中华人民共和国境内。", encoding="utf-8")
    bad.write_text(pre + "乙方的数据中心原则上设在中华人民共和国境内。", encoding="utf-8")
    assert main(["diff", str(good), str(bad), "--format", "json"]) == 1
    changes = {c["requirement"]: c for c in json.loads(capsys.readouterr().out)["changes"]}
    assert changes["domestic-hosting"]["change"] == "regressed"
    assert main(["diff", str(bad), str(good)]) == 0


def _scores(folder: Path) -> dict:
    return evaluate(folder, lambda p, prof: review_path(p, prof))


@pytest.mark.skipif(not DEV.exists(), reason="../shared/corpus/dev not beside the checkout")
def test_dev_corpus_meets_targets():
    o = _scores(DEV)["overall"]
    assert o["false_reassurance"] <= 0.05
    assert o["accuracy"] >= 0.85 and o["macro_f1"] >= 0.80 and o["conflict_recall"] >= 0.80


def test_own_corpus_floor():
    """Our corpus, written without looking at the rules: a floor that catches regressions."""
    r = _scores(ROOT / "fixtures" / "corpus")
    o = r["overall"]
    assert r["documents"] >= 15 and not r["errors"]
    assert o["false_reassurance"] <= 0.05 and o["accuracy"] >= 0.85 and o["conflict_recall"] >= 0.80


def test_eval_command_prints_all_five_figures(capsys):
    assert main(["eval", str(ROOT / "fixtures" / "corpus")]) == 0
    out = capsys.readouterr().out
    for word in ("accuracy", "macro-F1", "false reassurance", "false alarm", "conflict recall", "confusion"):
        assert word in out


def test_diff_warns_when_the_drafts_are_different_contracts(capsys):
    corpus = ROOT / "fixtures" / "corpus"
    a, b = corpus / "c01_iaas-caigou-hetong.txt", corpus / "c08_yunzhuji-zulin-jianyue.txt"
    main(["diff", str(a), str(b), "--profile", "party-gov-cloud"])
    err = capsys.readouterr().err
    assert "警告" in err
    # the warning quotes no contract text
    for text in (a.read_text(encoding="utf-8"), b.read_text(encoding="utf-8")):
        assert not any(len(line) >= 8 and line[:8] in err for line in text.splitlines())


def test_diff_of_two_drafts_of_one_contract_does_not_warn(tmp_path, capsys):
    src = (ROOT / "fixtures" / "corpus" / "c01_iaas-caigou-hetong.txt").read_text(encoding="utf-8")
    new = tmp_path / "draft2.txt"
    new.write_text(src.replace("。", "。\n", 1), encoding="utf-8")
    main(["diff", str(ROOT / "fixtures" / "corpus" / "c01_iaas-caigou-hetong.txt"), str(new)])
    assert "警告" not in capsys.readouterr().err
