"""Reviewer feedback (API, storage, migration, `clausecheck feedback export`), comparing drafts
(POST /v1/compare and the shared helper in service/compare.py) and the batch answer's review links."""
from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from service import auth
from service.api import create_app

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "fixtures" / "sample" / "base_contract.txt"
OTHER = ROOT / "fixtures" / "corpus" / "c01_iaas-caigou-hetong.txt"
DELETION = "2. 移交完成后，乙方应在15日内彻底删除档案数据及其全部备份，使其不可恢复，并由甲方监督删除。\n"
INCIDENT = ("第七条 安全事件\n发生网络安全事件或重大事件时，乙方应立即采取处置措施，并在1小时内向甲方报告、按规定及时向网信、"
            "公安等有关主管部门报告，不得迟报、漏报、瞒报。\n")


from apphelpers import settings  # noqa: E402


@pytest.fixture
def client(tmp_path):
    with TestClient(create_app(settings(tmp_path))) as c:
        yield c


def upload(c, data=None, name="base_contract.txt", **form):
    data = SAMPLE.read_bytes() if data is None else data
    r = c.post("/v1/reviews", files={"file": (name, data, "application/octet-stream")}, data=form)
    assert r.status_code == 200, r.text
    return r.json()


def is_problem(r, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["title"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"]), body["detail"]
    if code:
        assert body["code"] == code, body
    return body


def status_of(review: dict, requirement: str) -> str:
    return next(f["status"] for f in review["findings"] if f["requirement"] == requirement)


def other_status(review: dict, requirement: str, avoid: str | None = None) -> str:
    """A status other than the tool's (and than `avoid`): what a reviewer would correct it to."""
    now = status_of(review, requirement)
    return next(s for s in ("conflicting", "weak", "missing", "satisfied") if s not in (now, avoid))


ZH = {"satisfied": "满足", "weak": "薄弱", "conflicting": "冲突", "missing": "缺失"}


def second_draft() -> bytes:
    text = SAMPLE.read_text("utf-8").replace(DELETION, "").replace("附件一 服务清单", INCIDENT + "附件一 服务清单")
    return text.encode("utf-8")


# ---- feedback API ----

def test_feedback_create_list_replace_delete(tmp_path):
    s = settings(tmp_path)
    with TestClient(create_app(s)) as c:
        review = upload(c, keep="true")
        rid, url = review["id"], f"/v1/reviews/{review['id']}/feedback"
        assert c.get(url).json() == {"review_id": rid, "items": []}
        first, second = other_status(review, "security-responsibility"), other_status(review, "data-ownership")
        r = c.post(url, json={"requirement": "security-responsibility", "status": first, "note": "甲方责任未写明"})
        assert r.status_code == 201, r.text
        item = r.json()
        assert item["original_status"] == status_of(review, "security-responsibility") and item["status"] == first
        assert item["note"] == "甲方责任未写明" and item["title"] == "安全责任与义务" and item["by"] is None
        r = c.post(url, json={"requirement": "data-ownership", "status": ZH[second]})  # the Chinese term works too
        assert r.status_code == 201 and r.json()["status"] == second and r.json()["note"] is None
        again = other_status(review, "security-responsibility", avoid=first)
        r = c.post(url, json={"requirement": "security-responsibility", "status": again, "note": "改判"})
        assert r.status_code == 200 and r.json()["status"] == again  # marking again replaces
        listed = c.get(url).json()["items"]
        assert [(i["requirement"], i["status"]) for i in listed] == [("security-responsibility", again),
                                                                     ("data-ownership", second)]
    with TestClient(create_app(s)) as c:  # reopened in a new server process: still there
        assert [i["note"] for i in c.get(url).json()["items"]] == ["改判", None]
        assert c.get(f"/v1/reviews/{rid}").json()["findings"] == review["findings"]  # the review itself unchanged
        assert c.delete(f"{url}/data-ownership").status_code == 204
        is_problem(c.delete(f"{url}/data-ownership"), 404, "not-found")
        assert [i["requirement"] for i in c.get(url).json()["items"]] == ["security-responsibility"]
        assert "/v1/reviews/{review_id}/feedback" in c.get("/openapi.json").json()["paths"]


def test_feedback_validation_errors_are_chinese(client):
    review = upload(client)
    url = f"/v1/reviews/{review['id']}/feedback"
    sat = next(f["requirement"] for f in review["findings"] if f["status"] == "satisfied")
    is_problem(client.post(url, json={"status": "weak"}), 422, "requirement-required")
    body = is_problem(client.post(url, json={"requirement": "no-such-requirement-" + "x" * 500, "status": "weak"}),
                      422, "unknown-requirement")
    assert "xxxx" not in body["detail"]  # nothing long is echoed back
    is_problem(client.post(url, json={"requirement": sat, "status": "wrong"}), 422, "invalid-status")
    is_problem(client.post(url, json={"requirement": sat}), 422, "invalid-status")
    body = is_problem(client.post(url, json={"requirement": sat, "status": "satisfied"}), 422, "same-status")
    assert "满足" in body["detail"]
    is_problem(client.post(url, json={"requirement": sat, "status": "满足"}), 422, "same-status")
    is_problem(client.post(url, json={"requirement": sat, "status": "weak", "note": "很长" * 1001}), 422, "note-too-long")
    is_problem(client.post(url, json={"requirement": sat, "status": "weak", "note": 3}), 422, "invalid-note")
    is_problem(client.post(url, json={"requirement": sat, "status": "weak", "extra": 1}), 422, "invalid-parameters")
    is_problem(client.post(url, json=["not", "an", "object"]), 422, "invalid-parameters")
    is_problem(client.post(url, content=b"{broken", headers={"content-type": "application/json"}), 422, "invalid-json")
    is_problem(client.post(url, content=b"x", headers={"content-type": "text/plain"}), 415)
    is_problem(client.post("/v1/reviews/0123456789abcdef0123456789abcdef/feedback",
                           json={"requirement": sat, "status": "weak"}), 404, "not-found")
    is_problem(client.get("/v1/reviews/nope/feedback"), 404)
    assert client.get(url).json()["items"] == []


def test_feedback_records_the_token_and_needs_one(tmp_path):
    with TestClient(create_app(settings(tmp_path))) as c:
        review = upload(c)
        rid, body = review["id"], {"requirement": "data-ownership", "status": other_status(review, "data-ownership")}
        token = auth.create(c.app.state.store, "reviewer1")
        time.sleep(auth.CACHE_SECONDS + 0.1)
        is_problem(c.post(f"/v1/reviews/{rid}/feedback", json=body), 401)
        is_problem(c.get(f"/v1/reviews/{rid}/feedback"), 401)
        r = c.post(f"/v1/reviews/{rid}/feedback", json=body, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 201 and r.json()["by"] == "reviewer1"


def test_feedback_goes_with_its_review(tmp_path):
    from datetime import timedelta

    from service.db import ReviewRow, utcnow
    from service.feedback import FeedbackRow

    s = settings(tmp_path, retention_days=1)
    with TestClient(create_app(s)) as c:
        store = c.app.state.store
        reviews = [upload(c) for _ in range(3)]
        gone, old, kept = (r["id"] for r in reviews)
        body = {"requirement": "data-ownership", "status": other_status(reviews[0], "data-ownership")}
        for rid in (gone, old, kept):
            assert c.post(f"/v1/reviews/{rid}/feedback", json=body).status_code == 201
        assert c.delete(f"/v1/reviews/{gone}").status_code == 204
        with store.session.begin() as sess:
            sess.get(ReviewRow, old).created_at = utcnow() - timedelta(days=3)
    with TestClient(create_app(s)) as c:  # purged at start-up
        with c.app.state.store.session() as sess:
            assert [r.review_id for r in sess.query(FeedbackRow).all()] == [kept]


# ---- migration ----

def test_migration_upgrade_head_on_fresh_sqlite(tmp_path, monkeypatch):
    from alembic import command
    from alembic.config import Config

    db = tmp_path / "fresh.sqlite3"
    monkeypatch.delenv("CLAUSECHECK_DB", raising=False)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{db}")
    cfg = Config(str(ROOT / "service" / "alembic.ini"))
    command.upgrade(cfg, "0001")  # a database from before feedback, with a review in it
    with sqlite3.connect(db) as con:
        con.execute("INSERT INTO reviews (id, created_at, name, sha256, size, format, profile, review) "
                    "VALUES ('r1', '2025-01-01 00:00:00', 'a.txt', '', 1, 'txt', 'party-gov-cloud', '{}')")
    command.upgrade(cfg, "head")
    with sqlite3.connect(db) as con:
        cols = {r[1] for r in con.execute("PRAGMA table_info(feedback)")}
        assert cols == {"id", "review_id", "requirement", "original_status", "status", "note", "owner",
                        "created_at", "updated_at"}
        assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] == "0002_feedback"
        assert con.execute("SELECT count(*) FROM reviews").fetchone()[0] == 1
        con.execute("INSERT INTO feedback (review_id, requirement, original_status, status, created_at, updated_at) "
                    "VALUES ('r1', 'data-ownership', 'satisfied', 'weak', '2025-01-02', '2025-01-02')")
        with pytest.raises(sqlite3.IntegrityError):  # one correction per finding
            con.execute("INSERT INTO feedback (review_id, requirement, original_status, status, created_at, "
                        "updated_at) VALUES ('r1', 'data-ownership', 'satisfied', 'missing', '2025-01-02', '2025-01-02')")
        con.execute("DELETE FROM reviews WHERE id = 'r1'")
        assert con.execute("SELECT count(*) FROM feedback").fetchone()[0] == 0
    command.downgrade(cfg, "0001")
    with sqlite3.connect(db) as con:
        assert not con.execute("SELECT name FROM sqlite_master WHERE name IN ('feedback', "
                               "'feedback_delete_with_review')").fetchall()
    command.upgrade(cfg, "head")


# ---- export as labels ----

def test_feedback_export_is_a_labelled_corpus(tmp_path):
    from clause_library import list_profiles
    from clause_library.evaluate import evaluate, labelled_files
    from service.cli import main
    from service.pipeline import review_path

    s = settings(tmp_path)
    with TestClient(create_app(s)) as c:
        corrected = upload(c, keep="true", name="海棠合同.txt")
        plain = upload(c, keep="true", name="未更正.txt")
        not_kept = upload(c, name="未保存.txt")
        first, second = other_status(corrected, "security-responsibility"), other_status(corrected, "data-ownership")
        for rid in (corrected["id"], not_kept["id"]):
            assert c.post(f"/v1/reviews/{rid}/feedback", json={
                "requirement": "security-responsibility", "status": first, "note": "甲方责任未写明"}).status_code == 201
        assert c.post(f"/v1/reviews/{corrected['id']}/feedback", json={
            "requirement": "data-ownership", "status": second}).status_code == 201

    out = tmp_path / "labels"
    assert main(["feedback", "export", str(out), "--db", s.db_path]) == 0
    pairs = labelled_files(out)
    assert len(pairs) == 1  # the not-kept review has no text to label; the uncorrected one needs --all
    doc, lab = pairs[0]
    assert doc.name.endswith("海棠合同.txt") and doc.read_bytes() == SAMPLE.read_bytes()
    labels = yaml.safe_load(lab.read_text("utf-8"))
    requirements = {p["id"]: [r["id"] for r in p["requirements"]] for p in list_profiles()}
    assert labels["profile"] == corrected["profile"] == "archives-gov-cloud"
    assert list(labels["labels"]) == requirements["archives-gov-cloud"]  # every requirement, in order
    assert set(labels["labels"].values()) <= {"satisfied", "weak", "conflicting", "missing"}
    assert labels["labels"]["security-responsibility"] == first and labels["labels"]["data-ownership"] == second
    assert labels["labels"]["portability"] == status_of(corrected, "portability")
    assert labels["notes"] == {"security-responsibility": "甲方责任未写明"}

    result = evaluate(out, review_path)  # what `clausecheck eval DIR` runs
    assert result["documents"] == 1 and not result["errors"]
    assert {(m["requirement"], m["label"]) for m in result["mismatches"]} == {
        ("security-responsibility", first), ("data-ownership", second)}

    everything = tmp_path / "all"
    assert main(["feedback", "export", str(everything), "--all", "--db", s.db_path]) == 0
    assert sorted(d.name.split("-", 1)[1] for d, _ in labelled_files(everything)) == ["未更正.txt", "海棠合同.txt"]
    assert plain["id"][:12] in " ".join(d.name for d, _ in labelled_files(everything))


# ---- comparing drafts ----

def test_compare_two_files(client):
    r = client.post("/v1/compare", files={"old": ("第一稿.txt", SAMPLE.read_bytes()), "new": ("第二稿.txt", second_draft())},
                    data={"profile": "archives-gov-cloud"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["profile"] == "archives-gov-cloud" and body["warnings"] == [] and not body["different_contracts"]
    assert body["similarity"] > 0.9
    rows = {x["requirement"]: x for x in body["changes"]}
    assert rows["incident-reporting"]["change"] == "fixed"
    assert rows["incident-reporting"]["old"]["evidence"] == [] and rows["incident-reporting"]["new"]["evidence"]
    assert rows["termination-deletion"]["change"] == "regressed"
    assert any("彻底删除" in e["text"] for e in rows["termination-deletion"]["old"]["evidence"])
    assert body["counts"]["fixed"] >= 1 and body["counts"]["regressed"] >= 1
    assert sum(body["counts"].values()) == len(body["changes"])
    for side in ("old", "new"):  # both drafts are stored reviews now
        got = client.get(f"/v1/reviews/{body[side]['id']}").json()
        assert got["document"]["name"] == body[side]["name"] and got["kept"] is False


def test_compare_against_a_stored_review_under_its_profile(client):
    old = upload(client, keep="true")  # auto: archives-gov-cloud
    r = client.post("/v1/compare", files={"new": ("c01.txt", OTHER.read_bytes())},
                    data={"old_review": old["id"], "keep": "true"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["old"]["id"] == old["id"] and body["profile"] == old["profile"]  # the new draft judged the same way
    assert client.get(f"/v1/reviews/{body['new']['id']}").json()["profile"] == old["profile"]
    assert body["different_contracts"] and body["similarity"] < 0.5
    assert any("相似度" in w for w in body["warnings"]) and any("名称不同" in w for w in body["warnings"])
    assert "鹤川" not in json.dumps(body["warnings"], ensure_ascii=False)  # warnings never quote the contract

    # another profile than the stored review's: the earlier draft is judged again (its file was kept)
    r = client.post("/v1/compare", files={"new": ("b.txt", second_draft())},
                    data={"old_review": old["id"], "profile": "party-gov-cloud"})
    assert r.status_code == 200 and r.json()["profile"] == "party-gov-cloud"
    assert {x["requirement"] for x in r.json()["changes"]} == {
        x["requirement"] for x in upload(client, second_draft(), profile="party-gov-cloud")["findings"]}


def test_compare_errors(client):
    unkept = upload(client)
    new = {"new": ("b.txt", second_draft())}
    is_problem(client.post("/v1/compare", files={"old": ("a.txt", SAMPLE.read_bytes())}), 422, "file-required")
    is_problem(client.post("/v1/compare", files=new), 422, "old-required")
    is_problem(client.post("/v1/compare", files={**new, "old": ("a.txt", SAMPLE.read_bytes())},
                           data={"old_review": unkept["id"]}), 422, "old-required")
    is_problem(client.post("/v1/compare", files=new, data={"old_review": "0" * 32}), 404, "not-found")
    is_problem(client.post("/v1/compare", files=new, data={"old_review": unkept["id"], "profile": "party-gov-cloud"}),
               422, "profile-mismatch")
    is_problem(client.post("/v1/compare", files=new, data={"old_review": unkept["id"], "profile": "nope"}),
               422, "unknown-profile")
    body = is_problem(client.post("/v1/compare", files=new, data={"old_review": unkept["id"], "profile": "p" * 5000}), 422)
    assert "ppppp" not in body["detail"]
    is_problem(client.post("/v1/compare", files={**new, "old": ("a.pdf", b"%PDF-1.7 broken")}), 400)
    is_problem(client.post("/v1/compare", json={"new": "x"}), 415)


def test_compare_helper_and_cli_warning(tmp_path, capsys):
    from service import compare
    from service.pipeline import review_path

    base = SAMPLE.read_text("utf-8")
    assert compare.similarity(base, base.replace("\n", "\r\n  ")) == 1.0  # layout does not count
    assert compare.similarity(base, second_draft().decode()) > 0.85
    assert compare.similarity(base, OTHER.read_text("utf-8")) < compare.LOW_SIMILARITY
    long_a = "".join(p.read_text("utf-8") for p in sorted(OTHER.parent.glob("*.txt")))
    long_b = long_a.replace("乙方", "丙方").replace("30日", "60日")
    assert len(compare.normalise(long_a)) > compare.CHAR_LEVEL_LIMIT  # compared sentence by sentence
    started = time.monotonic()
    assert compare.similarity(long_a, long_b) > 0.8 and compare.similarity(long_a, long_a[len(long_a) // 2:]) < 0.8
    assert time.monotonic() - started < 5

    old, new = review_path(str(SAMPLE)), review_path(str(OTHER), "archives-gov-cloud")
    warnings, ratio = compare.different_contract_warnings(old, new, None, None)
    assert ratio is None and any("乙方（服务方）名称不同" in w for w in warnings)  # parties alone suffice
    same, _ = compare.different_contract_warnings(old, old, base, base)
    assert same == []
    rows = compare.compare_reviews(old, new)
    assert {r["change"] for r in rows} <= {"fixed", "regressed", "unchanged"} and len(rows) == len(new["findings"])

    other = tmp_path / "other.txt"
    other.write_bytes(OTHER.read_bytes())
    printed = compare.warn_cli(str(SAMPLE), str(other), old, new)
    err = capsys.readouterr().err
    assert printed and all(w in err for w in printed) and "警告" in err


# ---- batches: each document's review ----

def test_batch_answer_links_each_review(client):
    files = [("files", ("甲.txt", SAMPLE.read_bytes(), "text/plain")), ("files", ("empty.txt", b"", "text/plain"))]
    r = client.post("/v1/batches", files=files)
    assert r.status_code == 202, r.text
    deadline = time.monotonic() + 30
    while (body := client.get(r.json()["status_url"]).json())["status"] != "done":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    by_name = {x["name"]: x for x in body["results"]}
    ok = by_name["甲.txt"]
    review = client.get(ok["review_url"]).json()
    assert ok["review_url"] == f"/v1/reviews/{ok['review_id']}" and ok["page_url"] == f"/?review={ok['review_id']}"
    assert review["findings"] and review["summary"] == ok["summary"] and review["document"]["name"] == "甲.txt"
    assert "review_id" not in by_name["empty.txt"]
    body = {"requirement": "data-ownership", "status": other_status(review, "data-ownership")}
    assert client.post(f"{ok['review_url']}/feedback", json=body).status_code == 201
