"""`clausecheck serve` as a real process on a free loopback port, with its process pool, and the
`tokens` commands."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "fixtures" / "sample" / "base_contract.txt"
SCHEMA = Path(__file__).resolve().parents[2] / "shared" / "spec" / "review.schema.json"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(*args, env=None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "service.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60, **kw)


def start_server(db: Path, port: int, env: dict) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--db", str(db)],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited with {proc.returncode}: {proc.stderr.read()}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    pytest.fail("server did not answer /healthz within 40 s")


def stop(proc: subprocess.Popen) -> str:
    proc.terminate()
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
        pytest.fail("server did not stop on SIGTERM")
    return err


@pytest.fixture
def env(tmp_path):
    e = {k: v for k, v in os.environ.items() if not k.startswith("CLAUSECHECK_") and k != "DATABASE_URL"}
    e.update(CLAUSECHECK_WORKERS="2", PYTHONPATH=str(ROOT))
    return e


def test_serve_review_and_stop(tmp_path, env):
    port = free_port()
    proc = start_server(tmp_path / "cc.sqlite3", port, env)
    base = f"http://127.0.0.1:{port}"
    try:
        r = httpx.post(f"{base}/v1/reviews", files={"file": ("base_contract.txt", SAMPLE.read_bytes())}, timeout=60)
        assert r.status_code == 200, r.text
        review = r.json()
        if SCHEMA.exists():
            import jsonschema

            jsonschema.validate(review, json.loads(SCHEMA.read_text("utf-8")))
        assert httpx.get(f"{base}/v1/reviews/{review['id']}").status_code == 200
        bad = httpx.post(f"{base}/v1/reviews", files={"file": ("x.pdf", b"%PDF-1.7 broken")}, timeout=60)
        assert bad.status_code in (400, 415) and bad.headers["content-type"] == "application/problem+json"
        assert httpx.get(base + "/").headers["content-security-policy"].startswith("default-src 'self'")
    finally:
        err = stop(proc)
    log = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    access = [x for x in log if x.get("method") == "POST"]
    assert access and {"path", "status", "duration_ms", "bytes_in", "bytes_out"} <= access[0].keys()
    assert "base_contract" not in err and "海棠" not in err


def test_refuses_public_address_without_tokens(tmp_path, env):
    r = cli("serve", "--host", "0.0.0.0", "--port", str(free_port()), "--db", str(tmp_path / "cc.sqlite3"), env=env)
    assert r.returncode == 2
    assert "令牌" in r.stderr and "tokens create" in r.stderr


def test_tokens_cli_and_bearer(tmp_path, env):
    db = str(tmp_path / "cc.sqlite3")
    created = cli("tokens", "--db", db, "create", "legal-1", env=env)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert token.startswith("cc_") and len(token) > 30
    assert cli("tokens", "--db", db, "create", "legal-1", env=env).returncode == 2  # names are unique
    listed = cli("tokens", "--db", db, "list", env=env)
    assert "legal-1" in listed.stdout and token not in listed.stdout
    port = free_port()
    proc = start_server(Path(db), port, env)
    base = f"http://127.0.0.1:{port}"
    try:
        assert httpx.get(f"{base}/v1/profiles").status_code == 401
        assert httpx.get(f"{base}/v1/profiles", headers={"Authorization": "Bearer nope"}).status_code == 401
        assert httpx.get(f"{base}/v1/profiles", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    finally:
        stop(proc)
    assert cli("tokens", "--db", db, "revoke", "legal-1", env=env).returncode == 0
    assert cli("tokens", "--db", db, "revoke", "legal-1", env=env).returncode == 2
    assert "legal-1" not in cli("tokens", "--db", db, "list", env=env).stdout


def test_full_queue_answers_503_with_retry_after(tmp_path, env):
    env = {**env, "CLAUSECHECK_WORKERS": "1", "CLAUSECHECK_QUEUE": "0"}
    port = free_port()
    proc = start_server(tmp_path / "cc.sqlite3", port, env)
    data = SAMPLE.read_bytes() * 100  # long enough that requests overlap

    def post(_):
        r = httpx.post(f"http://127.0.0.1:{port}/v1/reviews", files={"file": ("long.txt", data)}, timeout=120)
        return r.status_code, r.headers.get("retry-after"), r.headers.get("content-type")

    try:
        with ThreadPoolExecutor(8) as ex:
            answers = list(ex.map(post, range(8)))
    finally:
        stop(proc)
    codes = [a[0] for a in answers]
    assert set(codes) <= {200, 503} and 200 in codes and 503 in codes, codes
    for code, retry, ctype in answers:
        if code == 503:
            assert retry and int(retry) >= 1 and ctype == "application/problem+json"
