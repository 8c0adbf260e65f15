"""Process limits, CLI failure handling and server hardening (issue 11): reading runs in children
that cap memory and CPU and die with their tools; every CLI failure is exit 2 with a bilingual
message (and a JSON error object under --format json); cross-site POSTs, wrong tokens, hostile file
names and HTML in contracts are handled."""
from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from apphelpers import settings
from fixturegen import zip_of
from service.limits import WorkLimits

# Children import this module to run the functions below: the app and its client are imported where
# used, so that costs them little.

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "fixtures" / "sample" / "base_contract.txt"
GB = 1024 ** 3


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


# ---- functions the children run (importable by name: tests/ is on the children's sys.path) ----

def hog_memory(*_args):
    """Asks for 3 GB at once, as a flate bomb inside pdfium would over time."""
    return len(bytearray(3 * GB))


def spin(*_args):
    while True:
        pass


def recurse(*_args):
    def down(n):
        return down(n + 1) + 1

    return down(0)


def recursing_review(data: bytes, name: str, profile: str = "auto"):
    """Stands in for the reader meeting a 4,200-digit Chinese-counting numbering value."""
    return recurse()


def spinning_review(data: bytes, name: str, profile: str = "auto"):
    return spin()


def sleeping_review(data: bytes, name: str, profile: str = "auto"):
    time.sleep(3600)


def start_grandchild_and_hang(pid_file: str, *_args):
    """Starts a long-running tool, as the OCR starts Tesseract, then hangs."""
    tool = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    Path(pid_file).write_text(str(tool.pid))
    time.sleep(3600)


def write_to_stderr(*_args):
    import logging

    os.write(2, b"Tesseract: Warning. Invalid resolution 0 dpi.\nEstimating resolution as 300\n")
    logging.getLogger("nlp.readers.ocr").warning("tesseract failed (exit 1): line one | line two")
    return "done"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie is dead for our purpose
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def wait_gone(pid: int, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.1)
    return False


# ---- the CLI, as scripts call it ----

def cli(*args, env_extra: dict | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUSECHECK_")}
    env.update(PYTHONPATH=str(ROOT), **(env_extra or {}))
    return subprocess.run([sys.executable, "-m", "service.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def assert_cli_failure(r: subprocess.CompletedProcess, code: str | None = None) -> dict:
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert lines and all(ln.startswith("clausecheck:") and " / " in ln and has_chinese(ln) for ln in lines), r.stderr
    body = json.loads(r.stdout)
    assert set(body["error"]) >= {"code", "message_zh", "message_en"}
    assert has_chinese(body["error"]["message_zh"]) and body["error"]["message_en"]
    if code:
        assert body["error"]["code"] == code, body
    return body["error"]


def test_cli_empty_and_random_files_exit_2_with_a_json_error(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    noise = tmp_path / "noise.pdf"
    noise.write_bytes(os.urandom(8192))
    err = assert_cli_failure(cli("check", str(empty), "--format", "json"), "empty")
    assert err["file"] == str(empty)
    assert_cli_failure(cli("check", str(noise), "--format", "json"))
    r = cli("check", str(tmp_path / "absent.docx"), "--format", "json")
    assert_cli_failure(r, "not-found")


def test_cli_several_files_keep_their_places_and_exit_2(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    r = cli("check", str(SAMPLE), str(empty), "--format", "json")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    first, second = json.loads(r.stdout)
    assert first["schema"] == "clausecheck.review/v1" and second["error"]["code"] == "empty"


def test_cli_memory_limit_from_the_environment(tmp_path):
    big = tmp_path / "zeros.txt"
    with open(big, "wb") as fh:  # sparse: 48 MB to read, nothing on disk
        fh.truncate(48 * 1024 * 1024)
    started = time.monotonic()
    err = assert_cli_failure(cli("check", str(big), "--format", "json", env_extra={"CLAUSECHECK_MAX_MEMORY_MB": "90"}),
                             "too-large")
    assert "90 MB" in err["message_zh"] and time.monotonic() - started < 60


def test_cli_other_commands_fail_the_same_way(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert_cli_failure(cli("parse", str(empty), "--format", "json"), "empty")
    assert_cli_failure(cli("diff", str(SAMPLE), str(empty), "--format", "json"), "empty")
    assert_cli_failure(cli("explain", str(empty), "termination-deletion", "--format", "json"), "empty")


def test_cli_recursion_error_is_exit_2_not_a_traceback(monkeypatch, capsys, tmp_path):
    from service import cli_review
    from service.cli import main

    monkeypatch.setattr(cli_review, "DEFAULT_REVIEW_FN", f"{__name__}:recursing_review")
    assert main(["check", str(SAMPLE), "--format", "json"]) == 2
    out = capsys.readouterr()
    assert json.loads(out.out)["error"]["code"] == "too-complex"
    assert "Traceback" not in out.err and len(out.err.strip().splitlines()) == 1 and " / " in out.err


def test_cli_unexpected_error_in_the_parent_is_one_bilingual_line(monkeypatch, capsys):
    from service import report
    from service.cli import main

    def broken(*_a, **_k):
        raise RecursionError("maximum recursion depth exceeded 海棠")

    monkeypatch.setattr(report, "render_markdown", broken)
    assert main(["check", str(SAMPLE), "--format", "md"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err and "海棠" not in err
    assert has_chinese(err) and " / " in err


def test_cli_timeout_and_cpu_limit(monkeypatch, capsys):
    from service import cli_review
    from service.cli import main

    monkeypatch.setattr(cli_review, "DEFAULT_REVIEW_FN", f"{__name__}:sleeping_review")
    started = time.monotonic()
    assert main(["check", str(SAMPLE), "--timeout", "2", "--format", "json"]) == 2
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "timeout"
    assert time.monotonic() - started < 30

    monkeypatch.setattr(cli_review, "DEFAULT_REVIEW_FN", f"{__name__}:spinning_review")
    monkeypatch.setenv("CLAUSECHECK_MAX_CPU_SECONDS", "1")
    assert main(["check", str(SAMPLE), "--timeout", "60", "--format", "json"]) == 2
    assert json.loads(capsys.readouterr().out)["error"]["code"] == "too-complex"
    assert time.monotonic() - started < 60


# ---- the review workers of the server ----

def run_pool(pool, calls):
    """Start `pool`, await pool.run(*call) for each call; returns results or exceptions."""
    async def main():
        pool.start()
        out = []
        try:
            for call in calls:
                try:
                    out.append(await pool.run(*call))
                except Exception as exc:  # noqa: BLE001 - the test inspects it
                    out.append(exc)
        finally:
            pool.stop()
        return out

    return asyncio.run(main())


def test_worker_memory_limit_and_the_next_request():
    from service.worker_pool import LimitExceeded, ProcessPool

    pool = ProcessPool(workers=1, queue_size=0, timeout=30, warm=False, limits=WorkLimits(memory_mb=512))
    hog, recursion, after = run_pool(pool, [(hog_memory,), (recurse,), (abs, -3)])
    assert isinstance(hog, LimitExceeded) and hog.failure.code == "too-large" and hog.failure.status == 413
    assert "512 MB" in hog.failure.zh
    assert isinstance(recursion, LimitExceeded) and recursion.failure.code == "too-complex"
    assert after == 3  # a fresh worker answers the next request


def test_worker_cpu_limit_ends_in_too_complex():
    from service.worker_pool import LimitExceeded, ProcessPool

    pool = ProcessPool(workers=1, queue_size=0, timeout=30, warm=False, limits=WorkLimits(cpu_seconds=1))
    started = time.monotonic()
    spun, after = run_pool(pool, [(spin,), (abs, -4)])
    assert isinstance(spun, LimitExceeded) and spun.failure.code == "too-complex" and spun.failure.status == 422
    assert after == 4 and time.monotonic() - started < 25


def test_killed_worker_takes_its_tools_along(tmp_path):
    from service.worker_pool import ProcessPool, TimedOut

    pid_file = tmp_path / "tool.pid"
    pool = ProcessPool(workers=1, queue_size=0, timeout=6, warm=False)
    hung, after = run_pool(pool, [(start_grandchild_and_hang, str(pid_file)), (abs, -5)])
    assert isinstance(hung, TimedOut) and after == 5
    assert wait_gone(int(pid_file.read_text())), "the tool outlived its killed worker"


def test_sandbox_kill_takes_its_tools_along(tmp_path):
    from service.batch.sandbox import Sandbox

    pid_file = tmp_path / "tool.pid"
    box = Sandbox(review_fn=None, warm=False)
    try:
        result = box.call({"call": f"{__name__}:start_grandchild_and_hang", "args": [str(pid_file)]}, 6)
    finally:
        box.kill()
    assert result["error"]["code"] == "timeout" and has_chinese(result["error"]["message"])
    assert wait_gone(int(pid_file.read_text()))


def test_child_stderr_becomes_json_lines_under_the_server(monkeypatch, capfd):
    from service.batch.sandbox import Sandbox

    monkeypatch.setenv("CLAUSECHECK_LOG_FORMAT", "json")
    box = Sandbox(review_fn=None, warm=False)
    try:
        assert box.call({"call": f"{__name__}:write_to_stderr"}, 30)["value"] == "done"
        time.sleep(0.5)  # the relay thread writes asynchronously
    finally:
        box.kill()
    lines = [ln for ln in capfd.readouterr().err.splitlines() if ln.strip()]
    assert len(lines) >= 3
    parsed = [json.loads(ln) for ln in lines]
    assert any("Estimating resolution" in p["message"] for p in parsed)


def test_tesseract_complaints_are_one_log_line():
    from nlp.readers.ocr import _one_line

    line = _one_line(b"Error in pixReadMem\n\x1b[31mEstimating resolution as 300\r\n\n")
    assert "\n" not in line and "\x1b" not in line and "Estimating resolution" in line


# ---- the API ----

def is_problem(r, status: int, code: str | None = None) -> dict:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert has_chinese(body["detail"])
    if code:
        assert body["code"] == code
    return body


def app_client(s):
    from fastapi.testclient import TestClient

    from service.api import create_app

    return TestClient(create_app(s))


@pytest.fixture
def client(tmp_path):
    with app_client(settings(tmp_path)) as c:
        yield c


def post_review(c, headers=None, name="base_contract.txt", data=None):
    return c.post("/v1/reviews", files={"file": (name, SAMPLE.read_bytes() if data is None else data)},
                  headers=headers or {})


def test_cross_site_posts_are_refused(client):
    for headers in ({"Origin": "http://evil.example"}, {"Referer": "http://evil.example/page"},
                    {"Sec-Fetch-Site": "cross-site"}, {"Origin": "null"},
                    {"Origin": "http://testserver:8080"}):  # another port is another origin
        is_problem(post_review(client, headers), 403, "cross-origin")
    batch = client.post("/v1/batches", files=[("files", ("a.txt", SAMPLE.read_bytes()))],
                        headers={"Origin": "http://evil.example"})
    is_problem(batch, 403, "cross-origin")
    rid = post_review(client).json()["id"]  # no Origin: curl and scripts
    is_problem(client.delete(f"/v1/reviews/{rid}", headers={"Origin": "https://evil.example"}), 403)
    assert client.get(f"/v1/reviews/{rid}", headers={"Origin": "http://evil.example"}).status_code == 200
    same = post_review(client, {"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"})
    assert same.status_code == 200, same.text  # the page itself


def test_trusted_origin_behind_a_proxy(tmp_path):
    s = settings(tmp_path, trusted_origins=("https://contracts.example.org",))
    with app_client(s) as c:
        assert post_review(c, {"Origin": "https://contracts.example.org"}).status_code == 200
        is_problem(post_review(c, {"Origin": "https://other.example.org"}), 403)


def test_wrong_token_is_401_with_www_authenticate(tmp_path):
    from service import auth

    with app_client(settings(tmp_path)) as c:
        auth.create(c.app.state.store, "alice")
        time.sleep(auth.CACHE_SECONDS + 0.1)
        r = c.get("/v1/profiles", headers={"Authorization": "Bearer cc_wrong"})
        is_problem(r, 401, "token-invalid")
        assert r.headers["www-authenticate"].startswith("Bearer") and "invalid_token" in r.headers["www-authenticate"]


def raw_multipart(field: str, filename: str, data: bytes) -> tuple[bytes, dict]:
    """A form whose file name bytes go through as they are (HTTP clients would %-escape controls)."""
    body = (b"--b\r\nContent-Disposition: form-data; name=\"" + field.encode() + b"\"; filename=\""
            + filename.encode("utf-8") + b"\"\r\nContent-Type: text/plain\r\n\r\n" + data + b"\r\n--b--\r\n")
    return body, {"content-type": "multipart/form-data; boundary=b"}


def test_file_names_lose_control_characters_and_escapes(client):
    body, headers = raw_multipart("file", "\x1b[2J\x1b[31m合同\u202e\x07 终稿\x7f.txt", SAMPLE.read_bytes())
    r = client.post("/v1/reviews", content=body, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["document"]["name"] == "合同 终稿.txt"
    body, headers = raw_multipart("files", "\x1b]0;title\x07甲\x1b[0m.txt", SAMPLE.read_bytes())
    done = client.post("/v1/batches", content=body, headers=headers)
    assert done.status_code == 202, done.text
    body = wait_batch(client, done.json()["status_url"])
    assert [x["name"] for x in body["results"]] == ["甲.txt"]


def test_memory_limit_in_the_server_worker_answers_413_then_serves(tmp_path, monkeypatch):
    import service.api

    s = settings(tmp_path, pool_kind="process", workers=1, max_memory_mb=512)
    with app_client(s) as c:
        monkeypatch.setattr(service.api, "review_job", hog_memory)
        body = is_problem(post_review(c), 413, "too-large")
        assert "内存" in body["detail"]
        monkeypatch.undo()
        assert post_review(c).status_code == 200


def test_limit_answers_of_the_api(client, monkeypatch):
    from service import limits
    from service.worker_pool import LimitExceeded

    async def too_complex(*_a):
        raise LimitExceeded(limits.cpu_exceeded(120))

    monkeypatch.setattr(client.app.state.pool, "run", too_complex)
    is_problem(post_review(client), 422, "too-complex")



def wait_batch(c, url: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        body = c.get(url).json()
        if body["status"] == "done":
            return body
        assert time.monotonic() < deadline, body
        time.sleep(0.1)


def test_batch_zips_are_opened_outside_the_server_process(client, monkeypatch):
    import service.batch.archive as archive

    def not_here(*_a, **_k):
        raise AssertionError("the server process opened a zip")

    monkeypatch.setattr(archive, "read_archive", not_here)
    monkeypatch.setattr(archive, "looks_like_archive", not_here)
    r = client.post("/v1/batches", files=[("files", ("c.zip", zip_of({"a.txt": SAMPLE.read_bytes()})))])
    assert r.status_code == 202, r.text
    body = wait_batch(client, r.json()["status_url"])
    assert [x["status"] for x in body["results"]] == ["ok"]


def test_batches_honour_the_workers_setting(tmp_path):
    with app_client(settings(tmp_path, workers=3)) as c:
        assert c.app.state.batch_registry.settings.workers == 3


# ---- batch discovery and names ----

def test_dotfiles_are_listed_as_skipped_with_a_reason(tmp_path, monkeypatch):
    import importlib

    from service.batch.discover import discover

    sniff = importlib.import_module("nlp.readers.sniff")

    root = tmp_path / "in"
    (root / ".git").mkdir(parents=True)
    (root / ".git" / "config").write_text("x", encoding="utf-8")
    (root / ".合同.txt").write_bytes(SAMPLE.read_bytes())
    (root / "~$草稿.docx").write_bytes(b"lock")
    (root / "合同.txt").write_bytes(SAMPLE.read_bytes())
    (root / "\x1b[31m红\x1b[0m.txt").write_bytes(SAMPLE.read_bytes())

    def not_here(*_a, **_k):
        raise AssertionError("discovery sniffed in the batch's own process")

    monkeypatch.setattr(sniff, "sniff", not_here)  # the child has its own, unpatched
    found = discover(root)
    assert sorted(c.rel for c in found.candidates) == ["合同.txt", "红.txt"]
    assert all(c.kind == "txt" and c.error is None for c in found.candidates)
    assert set(found.skipped) == {".git/", ".合同.txt", "~$草稿.docx"}
    assert all(has_chinese(found.reasons[rel]) for rel in found.skipped)
    assert "隐藏" in found.reasons[".合同.txt"]


def test_batch_summary_lists_what_was_skipped(tmp_path, capsys):
    from service.cli import main

    root = tmp_path / "in"
    root.mkdir()
    (root / "a.txt").write_bytes(SAMPLE.read_bytes())
    (root / ".hidden.txt").write_bytes(SAMPLE.read_bytes())
    assert main(["batch", str(root), "--out", str(tmp_path / "out"), "--workers", "1"]) == 0
    err = capsys.readouterr().err
    assert ".hidden.txt" in err and "隐藏文件" in err


def test_clean_name():
    from service.names import clean_name

    assert clean_name("\x1b[2J\x1b[1;31m合同\x1b[0m.docx") == "合同.docx"
    assert clean_name("evil\u202excod.exe") == "evilxcod.exe"
    assert clean_name("第一\n第二\t.txt") == "第一第二.txt"
    assert clean_name("\x9b31m合同.pdf") == "合同.pdf"
    assert clean_name("合同（终稿）v2.docx") == "合同（终稿）v2.docx"


# ---- reports ----

def test_markdown_report_escapes_html_from_the_contract():
    from service.pipeline import review_bytes
    from service.report import render_markdown

    hostile = SAMPLE.read_text("utf-8").replace("第一条", "第一条 <script>alert(1)</script> [点我](javascript:alert(1))", 1)
    review = review_bytes(hostile.encode("utf-8"), "<img src=x onerror=alert(1)>.txt")
    md = render_markdown(review)
    assert "<script" not in md and "<img" not in md and "](javascript:" not in md
    assert "&lt;img src=x onerror=alert(1)&gt;" in md


# ---- defaults ----

def test_workers_default_to_the_usable_cores(monkeypatch):
    from service import settings as settings_mod

    monkeypatch.delenv("CLAUSECHECK_WORKERS", raising=False)
    cores = len(os.sched_getaffinity(0))
    assert settings_mod.usable_cpus() == cores or os.path.exists("/sys/fs/cgroup/cpu.max")
    assert settings_mod.from_env().workers == settings_mod.default_workers()
    monkeypatch.setattr(settings_mod, "_memory_bytes", lambda: 64 * GB)
    monkeypatch.setattr(settings_mod, "usable_cpus", lambda: 8)
    assert settings_mod.default_workers(1536) == 8
    monkeypatch.setattr(settings_mod, "_memory_bytes", lambda: 4 * GB)
    assert settings_mod.default_workers(1536) == 2  # every worker at its limit must still fit
    monkeypatch.setenv("CLAUSECHECK_WORKERS", "3")
    assert settings_mod.from_env().workers == 3
