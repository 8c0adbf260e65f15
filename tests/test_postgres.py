"""The same API on PostgreSQL (DATABASE_URL): a throwaway server from the Debian binaries, started
for this module and removed after it. Skipped, with the reason, where no server can start."""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

pytest.importorskip("psycopg2", reason="psycopg2-binary is not installed")
from fastapi.testclient import TestClient  # noqa: E402

from service import auth  # noqa: E402
from service.api import create_app  # noqa: E402
from service.settings import from_env  # noqa: E402

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "sample" / "base_contract.txt"


def _bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return found[-1] if found else shutil.which(name)


def _as_user(cmd: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; CI containers usually are root
    if os.geteuid() != 0:
        return cmd
    return ["runuser", "-u", "postgres", "--", *cmd]


@pytest.fixture(scope="module")
def database_url():
    initdb, pg_ctl = _bin("initdb"), _bin("pg_ctl")
    if not initdb or not pg_ctl:
        pytest.skip("PostgreSQL server binaries not found (Debian package `postgresql`)")
    if os.geteuid() == 0:
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no `postgres` user to run the server as")
        if not shutil.which("runuser"):
            pytest.skip("running as root and `runuser` is missing")
    data = Path(tempfile.mkdtemp(prefix="clausecheck-pg-"))
    if os.geteuid() == 0:
        os.chown(data, pw.pw_uid, pw.pw_gid)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    run = dict(capture_output=True, text=True, timeout=120, cwd=str(data))
    r = subprocess.run(_as_user([initdb, "-D", str(data / "db"), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                                 "--locale=C", "--no-sync"]), **run)
    if r.returncode != 0:
        shutil.rmtree(data, ignore_errors=True)
        pytest.skip(f"initdb failed: {r.stderr.strip()[-300:]}")
    opts = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
    r = subprocess.run(_as_user([pg_ctl, "-D", str(data / "db"), "-o", opts, "-l", str(data / "log"), "-w",
                                 "-t", "60", "start"]), **run)
    if r.returncode != 0:
        log = (data / "log").read_text(errors="replace")[-300:] if (data / "log").exists() else ""
        shutil.rmtree(data, ignore_errors=True)
        pytest.skip(f"PostgreSQL did not start: {r.stderr.strip()[-300:]} {log}")
    try:
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(_as_user([pg_ctl, "-D", str(data / "db"), "-m", "immediate", "-w", "stop"]), **run)
        shutil.rmtree(data, ignore_errors=True)


def test_review_round_trip_on_postgres(database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", database_url)
    s = from_env(db_path=str(tmp_path / "unused.sqlite3"), pool_kind="thread", allowed_hosts=("testserver",))
    assert s.url == database_url  # DATABASE_URL wins over the SQLite path
    with TestClient(create_app(s)) as c:
        r = c.post("/v1/reviews", files={"file": ("base_contract.txt", SAMPLE.read_bytes())}, data={"keep": "true"})
        assert r.status_code == 200, r.text
        review = r.json()
        got = c.get(f"/v1/reviews/{review['id']}").json()
        assert got["findings"] == review["findings"] and got["document_text"] == review["document_text"]
        assert got["created_at"].endswith("+00:00")
        assert c.get("/v1/reviews").json()["items"][0]["id"] == review["id"]
        assert c.get(f"/v1/reviews/{review['id']}/report", params={"format": "md"}).status_code == 200
        assert c.delete(f"/v1/reviews/{review['id']}").status_code == 204
        assert c.get(f"/v1/reviews/{review['id']}").status_code == 404
        token = auth.create(c.app.state.store, "pg-user")
        assert c.app.state.store.token_hashes() == [("pg-user", auth.hash_token(token))]
        assert c.app.state.store.delete_token("pg-user")
    with TestClient(create_app(s)) as c:  # migrations are idempotent on an existing database
        assert c.get("/v1/reviews").json()["total"] == 0
