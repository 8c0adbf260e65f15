"""A department's rule pack judges a contract through every interface: `clausecheck check --rules`,
`clausecheck batch --rules`, and the server with CLAUSECHECK_RULES_DIRS (its workers load the
same packs). The pack is written by the test (tests/test_packs.py's house pack)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from apphelpers import settings
from test_packs import CONTRACT, write_pack, HOUSE_RULE, DEADLINE_RULE

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def house(tmp_path) -> Path:
    return write_pack(tmp_path / "house", {"house-log-retention": HOUSE_RULE, "house-deletion-7d": DEADLINE_RULE})


def cli(*args: str, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    import os

    env = {k: v for k, v in os.environ.items() if k != "CLAUSECHECK_RULES_DIRS"}
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "service.cli", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=180, env=env)


def assert_house_verdicts(review: dict) -> None:
    found = {f["requirement"]: f for f in review["findings"]}
    assert found["house-log-retention"]["status"] == "satisfied"
    assert found["termination-deletion"]["status"] == "satisfied"  # 30 days: enough for the policy
    deadline = found["house-deletion-7d"]
    assert deadline["status"] == "weak" and "未约定七日内删除" in deadline["reasons"]  # not for the house
    assert deadline["pack"] == {"name": "house-bigdata", "version": "2025.1"}
    assert "30日内彻底删除" in deadline["evidence"][0]["text"]
    assert [p["name"] for p in review["packs"]][-1] == "house-bigdata"


def test_check_with_rules(house, tmp_path):
    contract = tmp_path / "contract.txt"
    contract.write_text(CONTRACT, encoding="utf-8")
    run = cli("check", str(contract), "--rules", str(house), "--profile", "house-gov-cloud", "--format", "json")
    assert run.returncode == 1, run.stderr  # findings
    assert_house_verdicts(json.loads(run.stdout))
    # without the pack the house profile is unknown: a clear refusal, exit 2
    run = cli("check", str(contract), "--profile", "house-gov-cloud")
    assert run.returncode == 2 and "house-gov-cloud" in run.stderr


def test_profiles_lists_the_department_pack(house):
    run = cli("profiles", "--rules", str(house))
    assert run.returncode == 0
    assert "规则包 house-bigdata 2025.1" in run.stdout and "house-gov-cloud" in run.stdout
    assert "规则包 house-bigdata" not in cli("profiles").stdout


def test_a_broken_pack_stops_the_command_with_what_to_fix(house, tmp_path):
    (house / "rules" / "house-deletion-7d.yaml").write_text(
        DEADLINE_RULE.replace("role: supports", "role: helps", 1), encoding="utf-8")
    contract = tmp_path / "contract.txt"
    contract.write_text(CONTRACT, encoding="utf-8")
    run = cli("check", str(contract), "--rules", str(house), "--format", "json")
    assert run.returncode == 2
    assert "house-deletion-7d.yaml" in run.stderr and "role" in run.stderr
    assert json.loads(run.stdout)["error"]["code"] == "invalid-rule-pack"


def test_batch_with_rules(house, tmp_path):
    folder = tmp_path / "contracts"
    folder.mkdir()
    (folder / "a.txt").write_text(CONTRACT, encoding="utf-8")
    out = tmp_path / "out"
    run = cli("batch", str(folder), "--out", str(out), "--rules", str(house), "--profile", "house-gov-cloud",
              "--workers", "1", "--quiet")
    assert run.returncode in (0, 1), run.stderr
    records = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(records) == 1
    assert_house_verdicts(records[0])


def test_server_with_rules_dirs(house, tmp_path, monkeypatch):
    from clause_library.packs import reset_packs
    from service.api import create_app

    monkeypatch.setenv("CLAUSECHECK_RULES_DIRS", str(house))
    reset_packs()
    try:
        with TestClient(create_app(settings(tmp_path))) as c:
            listed = c.get("/v1/profiles").json()
            assert "house-bigdata" in [p["name"] for p in listed["packs"]]
            assert "house-gov-cloud" in [p["id"] for p in listed["profiles"]]
            r = c.post("/v1/reviews", files={"file": ("c.txt", CONTRACT.encode(), "text/plain")},
                       data={"profile": "house-gov-cloud"})
            assert r.status_code == 200, r.text
            assert_house_verdicts(r.json())
    finally:
        monkeypatch.delenv("CLAUSECHECK_RULES_DIRS")
        reset_packs()
