"""REST API against `create_app` with a temporary SQLite database (in-process, thread pool)."""
from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service import auth
from service.api import create_app
from service.db import ReviewRow, utcnow
from service.worker_pool import Overloaded, ProcessPool, ThreadPool, TimedOut

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "fixtures" / "sample" / "base_contract.txt"
SCHEMA = Path(__file__).resolve().parents[2] / "shared" / "spec" / "review.schema.json"


from apphelpers import settings  # noqa: E402


@pytest.fixture
def client(tmp_path):
    with TestClient(create_app(settings(tmp_path))) as c:
        yield c


def upload(c, data=None, name="base_contract.txt", **form):
    data = SAMPLE.read_bytes() if data is None else data
    return c.post("/v1/reviews", files={"file": (name, data, "application/octet-stream")}, data=form)


def validate(review: dict) -> None:
    if not SCHEMA.exists():
        return  # the shared spec is not checked out beside the repo
    import jsonschema

    jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text("utf-8"))).validate(review)


def is_problem(r, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status and body["title"] and body["type"]
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"]), body["detail"]
    if code:
        assert body["code"] == code
    return body


def test_health_and_profiles(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    data = client.get("/v1/profiles").json()
    ids = [p["id"] for p in data["profiles"]]
    assert "party-gov-cloud" in ids and "archives-gov-cloud" in ids
    assert all(p["requirements"] for p in data["profiles"])
    assert data["rules_version"]


def test_upload_review_round_trip(client):
    r = upload(client)
    assert r.status_code == 200, r.text
    review = r.json()
    validate(review)
    assert len(review["id"]) == 32 and review["kept"] is False
    text = review["document_text"]
    assert text and review["document"]["characters"] == len(text)
    for f in review["findings"]:
        for ev in f["evidence"]:
            loc = ev["location"]
            assert 0 <= loc["start"] < loc["end"] <= len(text)
    got = client.get(f"/v1/reviews/{review['id']}").json()
    validate(got)
    assert got["findings"] == review["findings"] and got["document_text"] is None  # text not retained
    listed = client.get("/v1/reviews").json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == review["id"]
    assert listed["items"][0]["has_text"] is False


def test_keep_stores_text_and_file(client):
    review = upload(client, keep="true").json()
    assert review["kept"] is True
    assert client.get(f"/v1/reviews/{review['id']}").json()["document_text"] == review["document_text"]
    with client.app.state.store.session() as s:
        assert s.get(ReviewRow, review["id"]).upload == SAMPLE.read_bytes()


def test_keep_uploads_setting(tmp_path):
    with TestClient(create_app(settings(tmp_path, keep_uploads=True))) as c:
        review = upload(c).json()
        assert c.get(f"/v1/reviews/{review['id']}").json()["document_text"]


def test_json_text_submission(client):
    body = {"name": "draft.txt", "text": SAMPLE.read_text("utf-8"), "profile": "party-gov-cloud"}
    r = client.post("/v1/reviews", json=body)
    assert r.status_code == 200, r.text
    review = r.json()
    validate(review)
    assert review["profile"] == "party-gov-cloud" and review["document"]["name"] == "draft.txt"


def test_reports(client):
    rid = upload(client).json()["id"]
    for fmt, ctype in (("json", "application/json"), ("md", "text/markdown"), ("html", "text/html"),
                       ("docx", "application/vnd.openxmlformats")):
        r = client.get(f"/v1/reviews/{rid}/report", params={"format": fmt})
        assert r.status_code == 200 and r.headers["content-type"].startswith(ctype), (fmt, r.text[:200])
        assert "attachment" in r.headers["content-disposition"]
    validate(client.get(f"/v1/reviews/{rid}/report").json())
    is_problem(client.get(f"/v1/reviews/{rid}/report", params={"format": "pdf"}), 422)


def test_delete_removes_everything(client):
    rid = upload(client, keep="true").json()["id"]
    assert client.delete(f"/v1/reviews/{rid}").status_code == 204
    is_problem(client.get(f"/v1/reviews/{rid}"), 404, "not-found")
    is_problem(client.delete(f"/v1/reviews/{rid}"), 404)
    with client.app.state.store.session() as s:
        assert s.get(ReviewRow, rid) is None
    assert client.get("/v1/reviews").json()["total"] == 0


def test_client_errors(client):
    is_problem(upload(client, b""), 400, "empty")
    is_problem(upload(client, bytes(range(256)) * 64, name="contract.txt"), 415)
    is_problem(upload(client, profile="no-such-profile"), 422, "unknown-profile")
    is_problem(client.post("/v1/reviews", json={"text": "甲方", "profile": "nope"}), 422, "unknown-profile")
    is_problem(client.post("/v1/reviews", content=b"{not json", headers={"content-type": "application/json"}), 422)
    is_problem(client.post("/v1/reviews", json={"text": ""}), 422)
    is_problem(client.post("/v1/reviews", content=b"hello", headers={"content-type": "text/plain"}), 415)
    is_problem(client.post("/v1/reviews", data={"profile": "auto"}, files={"other": ("a", b"b")}), 422, "file-required")
    is_problem(client.get("/v1/reviews/0123456789abcdef0123456789abcdef"), 404)
    is_problem(client.get("/v1/reviews/nope/report"), 404)
    is_problem(client.get("/v1/reviews", params={"limit": 0}), 422)
    is_problem(client.get("/no/such/page"), 404)


def test_size_limit(tmp_path):
    with TestClient(create_app(settings(tmp_path, max_upload_bytes=2000))) as c:
        is_problem(upload(c, "甲方".encode() * 2000), 413)  # declared Content-Length over the limit
        is_problem(c.post("/v1/reviews", json={"text": "甲方" * 400}), 413)  # under the body limit, text over

        def chunks():  # no Content-Length: stopped while streaming
            yield b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.txt\"\r\n\r\n"
            for _ in range(2000):
                yield "甲方乙方".encode() * 100
            yield b"\r\n--b--\r\n"

        r = c.post("/v1/reviews", content=chunks(), headers={"content-type": "multipart/form-data; boundary=b"})
        is_problem(r, 413)
        assert upload(c, SAMPLE.read_text("utf-8")[:500].encode(), name="small.txt").status_code == 200


def test_tokens(tmp_path):
    with TestClient(create_app(settings(tmp_path))) as c:
        token = auth.create(c.app.state.store, "alice")
        time.sleep(auth.CACHE_SECONDS + 0.1)
        body = is_problem(c.get("/v1/profiles"), 401, "token-required")
        assert body and c.get("/v1/profiles").headers["www-authenticate"].startswith("Bearer")
        wrong = c.get("/v1/profiles", headers={"Authorization": "Bearer wrong"})
        is_problem(wrong, 401, "token-invalid")
        assert wrong.headers["www-authenticate"].startswith("Bearer")
        is_problem(upload(c), 401)
        ok = {"Authorization": f"Bearer {token}"}
        assert c.get("/v1/profiles", headers=ok).status_code == 200
        r = c.post("/v1/reviews", headers=ok, files={"file": ("a.txt", SAMPLE.read_bytes())})
        assert r.status_code == 200
        with c.app.state.store.session() as s:
            assert s.get(ReviewRow, r.json()["id"]).owner == "alice"
        assert c.get("/healthz").status_code == 200 and c.get("/").status_code == 200  # page and probe stay open
        stored = c.app.state.store.token_hashes()
        assert token not in json.dumps(stored) and stored[0][1] == auth.hash_token(token)
        assert c.app.state.store.delete_token("alice")
        time.sleep(auth.CACHE_SECONDS + 0.1)
        assert c.get("/v1/profiles", headers=ok).status_code == 200  # no tokens left: open again on loopback


def test_non_loopback_without_tokens_refuses(tmp_path):
    with TestClient(create_app(settings(tmp_path, host="0.0.0.0"))) as c:
        is_problem(c.get("/v1/profiles"), 401)


def test_open_mode_checks_host(client):
    is_problem(client.get("/v1/profiles", headers={"host": "attacker.example"}), 403, "forbidden-host")
    assert client.get("/v1/profiles", headers={"host": "127.0.0.1:8000"}).status_code == 200


def test_page_and_security_headers(client):
    r = client.get("/")
    assert r.status_code == 200 and "合同" in r.text
    csp = r.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "<script>" not in r.text and " style=" not in r.text  # nothing inline: the CSP forbids it
    for asset in ("app.js", "app.css", "docs.js"):
        assert client.get(f"/static/{asset}").status_code == 200
    assert client.get("/docs").status_code == 200
    assert "/v1/reviews" in client.get("/openapi.json").json()["paths"]
    assert client.get("/v1/profiles").headers["cache-control"] == "no-store"


def test_access_log_has_no_contract_data(client, caplog):
    caplog.set_level(logging.INFO, logger="clausecheck.access")
    upload(client, name="机密合同.txt")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "clausecheck.access"]
    post = [x for x in lines if x["method"] == "POST"][0]
    assert post["status"] == 200 and post["duration_ms"] >= 0 and post["bytes_in"] > 0
    assert "机密" not in caplog.text and "海棠" not in caplog.text


def test_unexpected_error_is_problem_without_text(client, caplog, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("SECRET 合同条款")

    monkeypatch.setattr(client.app.state.store, "list_reviews", boom)
    body = is_problem(client.get("/v1/reviews"), 500, "internal")
    assert "SECRET" not in json.dumps(body) and "SECRET" not in caplog.text
    assert "RuntimeError" in caplog.text


def test_engine_crash_is_400_not_500(client, monkeypatch):
    import service.api

    def crash(*a):
        raise ZeroDivisionError("in the engine")

    monkeypatch.setattr(service.api, "review_job", crash)
    is_problem(upload(client), 400, "processing-failed")


def test_overloaded_and_timeout_answers(client, monkeypatch):
    async def full(*a):
        raise Overloaded(retry_after=7)

    monkeypatch.setattr(client.app.state.pool, "run", full)
    r = upload(client)
    is_problem(r, 503, "overloaded")
    assert r.headers["retry-after"] == "7"

    async def slow(*a):
        raise TimedOut()

    monkeypatch.setattr(client.app.state.pool, "run", slow)
    is_problem(upload(client), 422, "timeout")  # the file's doing: retrying it will not help


def test_retention_purge(tmp_path):
    s = settings(tmp_path, retention_days=1)
    with TestClient(create_app(s)) as c:
        keep_id = upload(c).json()["id"]
        old_id = upload(c).json()["id"]
        with c.app.state.store.session.begin() as sess:
            sess.get(ReviewRow, old_id).created_at = utcnow() - timedelta(days=3)
    with TestClient(create_app(s)) as c:  # purged at start-up
        assert c.get(f"/v1/reviews/{old_id}").status_code == 404
        assert c.get(f"/v1/reviews/{keep_id}").status_code == 200


def test_thread_pool_bounds():
    async def main():
        pool = ThreadPool(workers=1, queue_size=1, timeout=0.3)
        pool.start()
        try:
            first = asyncio.ensure_future(pool.run(time.sleep, 0.2))
            second = asyncio.ensure_future(pool.run(time.sleep, 0.2))
            await asyncio.sleep(0.01)
            with pytest.raises(Overloaded) as exc:
                await pool.run(time.sleep, 0)
            assert exc.value.retry_after >= 1
            await first
            await second
            with pytest.raises(TimedOut):
                await pool.run(time.sleep, 1)
        finally:
            pool.stop()

    asyncio.run(main())


def test_process_pool_kills_a_runaway_document():
    async def main():
        pool = ProcessPool(workers=1, queue_size=0, timeout=1.5, warm=False)
        pool.start()
        try:
            assert await pool.run(abs, -3) == 3
            with pytest.raises(TimedOut):
                await pool.run(time.sleep, 30)
            assert await pool.run(abs, -4) == 4  # a fresh worker took the killed one's place
        finally:
            pool.stop()

    t0 = time.monotonic()
    asyncio.run(main())
    assert time.monotonic() - t0 < 20
