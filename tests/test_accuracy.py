"""Accuracy on labelled corpora, gated in CI. ../shared/corpus/real holds real published agreements
labelled by reviewers who never read the rules; dev and fixtures were written by the team. All three
were read while the rules were written, so these are development figures (README says so); the
gates are the targets of the issue that asked for judging by meaning."""
from __future__ import annotations

from pathlib import Path

import pytest

from clause_library.evaluate import evaluate
from service.pipeline import review_path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "corpus"


def _eval(folder: Path) -> dict:
    if not folder.is_dir():
        pytest.skip(f"{folder} is not present in this checkout")
    return evaluate(folder, lambda p, prof: review_path(p, prof))


def test_real_published_agreements():
    r = _eval(SHARED / "real")
    o = r["overall"]
    assert not r["errors"]
    assert o["macro_f1"] >= 0.75, o
    assert o["false_reassurance"] <= 0.03, o
    assert o["false_alarm"] <= 0.10, o
    assert o["conflict_recall"] >= 0.75, o
    # false reassurance is gated per requirement: one requirement may not hide behind the average
    worst = {k: v["false_reassurance"] for k, v in r["per_requirement"].items() if v["false_reassurance"] > 0.12}
    assert not worst, worst


@pytest.mark.parametrize("folder", [SHARED / "dev", ROOT / "fixtures" / "corpus"], ids=["dev", "fixtures"])
def test_team_corpora_stay_high(folder):
    o = _eval(folder)["overall"]
    assert o["macro_f1"] >= 0.90, o
    assert o["false_reassurance"] <= 0.03, o
