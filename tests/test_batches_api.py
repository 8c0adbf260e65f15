"""POST /v1/batches and GET /v1/batches/{id}: uploads, zips, and zips that must be refused before
anything is decompressed."""
from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import service.batches_router as batches
from service.batch.archive import ArchiveLimits

BASE = (Path(__file__).resolve().parents[1] / "fixtures" / "sample" / "base_contract.txt").read_bytes()


@pytest.fixture(scope="module")
def client():
    app = FastAPI()
    app.include_router(batches.router)
    with TestClient(app) as c:
        yield c


def make_zip(members: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def wait_done(client: TestClient, status_url: str, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        r = client.get(status_url)
        assert r.status_code == 200
        body = r.json()
        assert body["status"] in ("queued", "running", "done")
        assert body["done"] <= body["total"]
        if body["status"] == "done":
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.1)


def assert_problem(r, status: int) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status
    assert any("\u4e00" <= ch <= "\u9fff" for ch in body["detail"]), body  # Chinese detail
    return body


def test_several_files(client):
    files = [("files", ("甲.txt", BASE, "text/plain")),
             ("files", ("乙.txt", BASE.replace("30日".encode(), "60日".encode()), "text/plain")),
             ("files", ("empty.txt", b"", "text/plain"))]
    r = client.post("/v1/batches", files=files)
    assert r.status_code == 202, r.text
    body = r.json()
    assert body["status_url"].endswith(f"/v1/batches/{body['id']}")
    done = wait_done(client, body["status_url"])
    assert done["id"] == body["id"] and done["total"] == 3 and done["done"] == 3 and done["failed"] == 1
    by_name = {x["name"]: x for x in done["results"]}
    assert by_name["甲.txt"]["status"] == "ok" and by_name["乙.txt"]["status"] == "ok"
    assert set(by_name["甲.txt"]["summary"]) >= {"satisfied", "weak", "conflicting", "missing"}
    assert by_name["empty.txt"]["status"] == "failed" and by_name["empty.txt"]["error"]["detail"]


def test_one_zip(client):
    data = make_zip({"a.txt": BASE, "子目录/b.txt": BASE, "__MACOSX/._a.txt": b"junk", "dir/": b""})
    r = client.post("/v1/batches", files=[("files", ("contracts.zip", data, "application/zip"))],
                    data={"profile": "party-gov-cloud"})
    assert r.status_code == 202, r.text
    done = wait_done(client, r.json()["status_url"])
    assert sorted(x["name"] for x in done["results"]) == ["a.txt", "子目录/b.txt"]
    assert all(x["status"] == "ok" and x["profile"] == "party-gov-cloud" for x in done["results"])


def test_gbk_member_names(client):
    # As zipped on Chinese Windows: GBK bytes in the name, no UTF-8 flag.
    gbk = "合同.txt".encode("gbk")
    placeholder = b"X" * (len(gbk) - 4) + b".txt"
    data = make_zip({placeholder.decode(): BASE}).replace(placeholder, gbk)
    r = client.post("/v1/batches", files=[("files", ("c.zip", data, "application/zip"))])
    assert r.status_code == 202, r.text
    assert [x["name"] for x in wait_done(client, r.json()["status_url"])["results"]] == ["合同.txt"]


@pytest.mark.parametrize("name", ["../evil.txt", "a/../../evil.txt", "/etc/evil.txt", "C:/evil.txt", "..\\evil.txt"])
def test_zip_path_traversal_refused(client, name):
    data = make_zip({"ok.txt": BASE, name: BASE})
    assert_problem(client.post("/v1/batches", files=[("files", ("x.zip", data, "application/zip"))]), 400)


def test_zip_too_many_members(client):
    data = make_zip({f"c{i}.txt": b"x" for i in range(batches.limits.max_members + 1)})
    assert_problem(client.post("/v1/batches", files=[("files", ("x.zip", data, "application/zip"))]), 413)


def test_nested_zip_refused(client):
    inner = make_zip({"a.txt": BASE})
    by_name = make_zip({"a.txt": BASE, "inner.zip": inner})
    assert_problem(client.post("/v1/batches", files=[("files", ("x.zip", by_name, "application/zip"))]), 400)
    by_content = make_zip({"a.txt": BASE, "inner.dat": inner})
    assert_problem(client.post("/v1/batches", files=[("files", ("x.zip", by_content, "application/zip"))]), 400)


def test_zip_bomb_refused(client):
    bomb = make_zip({"a.txt": BASE, "bomb.txt": b"\0" * (8 * 1024 * 1024)})
    assert len(bomb) < 100_000
    assert_problem(client.post("/v1/batches", files=[("files", ("x.zip", bomb, "application/zip"))]), 413)


def test_zip_total_size_refused(client, monkeypatch):
    monkeypatch.setattr(batches, "limits", ArchiveLimits(max_total_bytes=3 * len(BASE)))
    data = make_zip({f"c{i}.txt": BASE for i in range(4)}, zipfile.ZIP_STORED)
    assert_problem(client.post("/v1/batches", files=[("files", ("x.zip", data, "application/zip"))]), 413)


def test_bzip2_members_refused(client):
    data = make_zip({"a.txt": BASE}, zipfile.ZIP_BZIP2)
    assert_problem(client.post("/v1/batches", files=[("files", ("x.zip", data, "application/zip"))]), 400)


def test_corrupt_zip_refused(client):
    data = make_zip({"a.txt": BASE})
    broken = data[:30] + b"\xff" * 40 + data[70:]
    r = client.post("/v1/batches", files=[("files", ("x.zip", broken, "application/zip"))])
    assert r.status_code in (202, 400)  # a damaged directory is refused; damaged data fails per file
    if r.status_code == 400:
        assert_problem(r, 400)


def test_bad_requests(client):
    assert_problem(client.get("/v1/batches/doesnotexist"), 404)
    assert_problem(client.post("/v1/batches", files=[("files", ("a.txt", BASE, "text/plain"))],
                               data={"profile": "no-such-profile"}), 422)
    assert_problem(client.post("/v1/batches", data={"profile": "auto"}, files=[("other", ("a.txt", BASE, "text/plain"))]), 422)
    assert_problem(client.post("/v1/batches", json={"files": []}), 415)


def test_registry_is_bounded(monkeypatch):
    from service.batch.jobs import JobSettings, Registry

    reg = Registry(JobSettings(max_jobs=3, workers=1))
    ids = []
    for i in range(5):
        job = reg.submit([(f"{i}.txt", BASE)], "auto")
        ids.append(job.id)
        deadline = time.monotonic() + 60
        while job.status != "done":
            assert time.monotonic() < deadline
            time.sleep(0.05)
    time.sleep(0.1)
    assert reg.get(ids[0]) is None and reg.get(ids[1]) is None
    assert all(reg.get(i) is not None for i in ids[2:])
