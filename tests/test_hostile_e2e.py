"""Issue 11: every kind of hostile file (tests/fixturegen/hostile.py) through the reader, `clausecheck
check`, the REST API and `clausecheck batch`, each with its own specific outcome:

- refused kinds: the error code(s) and HTTP status(es) the kind's `Expect` names — exit 2 with the
  message in Chinese and English on stderr and a JSON error object on stdout (`--format json`), or
  400/413/415/422 problem+json with a Chinese `detail`, or a failed row in errors.csv;
- read kinds: read and reviewed, the contract's text present, nothing of /etc/passwd or an entity;
- every run within 30 s and 1 GB (RSS), no temporary file and no process left behind, and the server
  answering /healthz and the next normal review at once.

Reader and CLI cases run as subprocesses under RLIMIT_AS = 1 GiB (soft; the product may lower it) with
their own empty TMPDIR, two at a time. The API cases share one `clausecheck serve` process (the real
server with its process pool: an in-process TestClient with the thread pool would let a bomb take the
test runner down, and could not show the server's own memory). The batch case runs once over a folder
holding every kind plus one good contract.
"""
from __future__ import annotations

import csv
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from fixturegen import hostile, zip_of
from fixturegen.hostile import KINDS, Kind

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
TIME_LIMIT = 30.0  # seconds per file, every channel
MEMORY_LIMIT = 1 << 30  # bytes: RLIMIT_AS for reader/CLI runs, and the RSS bound everywhere
PARALLEL = 2  # reader/CLI cases at once (2 shared cores)
BATCH_TIMEOUT = 420.0  # the whole folder; each file has TIME_LIMIT inside the batch
IDS = [k.name for k in KINDS]
CJK = re.compile(r"[\u4e00-\u9fff]")
# "中文说明 / English words": both languages, on one line
BILINGUAL = re.compile(r"[\u4e00-\u9fff][^\n]*\s/\s[^\n]*[A-Za-z]{2,}[ ,]+[A-Za-z]{2,}")
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
RAW_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # control characters bar newlines and tabs

# A launcher that caps the address space, then becomes the command (same pid, so wait4 sees it).
# Soft limit only: the product may lower it, or raise it for a child it limits itself.
LAUNCH = ("import os, resource, sys; h = resource.getrlimit(resource.RLIMIT_AS)[1]; "
          "resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), h)); os.execv(sys.argv[2], sys.argv[2:])")

READER = r"""
import json, sys, traceback
sys.path.insert(0, sys.argv[1])
from nlp import DocumentError
from nlp.document import read_document
path, name, contains, absent = sys.argv[2], sys.argv[3], sys.argv[4], json.loads(sys.argv[5])
with open(path, "rb") as fh:
    data = fh.read()
try:
    doc = read_document(data, name)
except DocumentError as e:
    out = {"outcome": "refused", "code": e.code, "http": e.http_status, "zh": e.message_zh, "en": e.message_en}
except BaseException as e:
    traceback.print_exc()
    out = {"outcome": "crash", "exception": type(e).__name__}
else:
    out = {"outcome": "read", "characters": len(doc.text), "contains": (contains in doc.text) if contains else True,
           "absent_found": [a for a in absent if a in doc.text]}
print("READER-RESULT " + json.dumps(out, ensure_ascii=False))
"""


# ---------------------------------------------------------------------------------------------------
# running one case under limits

@dataclass
class Run:
    argv: list[str]
    returncode: int | None
    stdout: str
    stderr: str
    seconds: float
    max_rss: int  # bytes, the process and the descendants it waited for
    timed_out: bool
    temp_left: list[str] = field(default_factory=list)
    procs_left: list[str] = field(default_factory=list)

    def describe(self) -> str:
        tail = self.stderr.strip()[-1500:]
        return (f"rc={self.returncode} {self.seconds:.1f}s maxrss={self.max_rss / 2**20:.0f}MB "
                f"timed_out={self.timed_out}\n--- stderr (tail) ---\n{tail}")


def _clean_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUSECHECK_") and k != "DATABASE_URL"}
    env.update(PYTHONPATH=str(ROOT), PYTHONDONTWRITEBYTECODE="1", **extra)
    return env


def _listing(directory: Path) -> list[str]:
    return sorted(str(p.relative_to(directory)) for p in directory.rglob("*")) if directory.exists() else []


def _session_members(sid: int) -> list[tuple[int, str]]:
    """Processes still in session `sid` (what the case started, grandchildren included)."""
    found = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = Path(f"/proc/{d}/stat").read_text()
            fields = stat.rsplit(")", 1)[1].split()
            if int(fields[3]) == sid and fields[0] != "Z":
                cmd = Path(f"/proc/{d}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
                found.append((int(d), cmd[:200]))
        except (OSError, IndexError, ValueError):
            continue
    return found


def run_limited(argv: list[str], work: Path, *, timeout: float = TIME_LIMIT, memory: int = MEMORY_LIMIT,
                env: dict | None = None) -> Run:
    """Run argv (a Python command line) with RLIMIT_AS, a timeout and an empty TMPDIR of its own; the
    whole session is killed on timeout."""
    work.mkdir(parents=True, exist_ok=True)
    tmp = work / "tmp"
    tmp.mkdir(exist_ok=True)
    out_path, err_path = work / "stdout", work / "stderr"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc = subprocess.Popen([PY, "-c", LAUNCH, str(memory), *argv], cwd=ROOT, env=_clean_env(TMPDIR=str(tmp), **(env or {})),
                                stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True)
        t0 = time.monotonic()
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() - t0 > timeout:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.02)
        seconds = time.monotonic() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
    left = _session_members(proc.pid)
    deadline = time.monotonic() + 3  # children told to exit with their parent get a moment to do so
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = _session_members(proc.pid)
    for pid, _ in left:  # cleanup of what this case started; still reported
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    run = Run(argv, proc.returncode, out_path.read_bytes().decode("utf-8", "replace"),
              err_path.read_bytes().decode("utf-8", "replace"), seconds, usage.ru_maxrss * 1024, timed_out,
              _listing(tmp), [cmd for _, cmd in left])
    return run


def within_limits(run: Run, what: str) -> None:
    assert not run.timed_out, f"{what}: no answer within {TIME_LIMIT:g} s\n{run.describe()}"
    assert run.seconds <= TIME_LIMIT, f"{what}: took {run.seconds:.1f} s\n{run.describe()}"
    assert run.max_rss < MEMORY_LIMIT, f"{what}: peak RSS {run.max_rss / 2**20:.0f} MB\n{run.describe()}"
    assert run.returncode is not None and run.returncode >= 0, f"{what}: killed by a signal\n{run.describe()}"
    assert not run.temp_left, f"{what}: temporary files left behind: {run.temp_left[:10]}"
    assert not run.procs_left, f"{what}: processes left running: {run.procs_left}"


def _outcome_ok(kind: Kind, outcome: str, code: str | None, status: int | None, where: str) -> None:
    """The one rule every channel shares: the kind's own codes and statuses, or a read it allows."""
    exp = kind.expect
    if outcome == "refused":
        assert exp.may_refuse, f"{where}: {kind.name} must be read ({kind.why}), was refused with {code!r}"
        assert code in exp.codes, f"{where}: {kind.name} refused with code {code!r}, expected one of {sorted(exp.codes)}"
        if status is not None:
            assert status in exp.http, f"{where}: {kind.name} answered {status}, expected one of {sorted(exp.http)}"
    else:
        assert exp.read, (f"{where}: {kind.name} ({kind.why}) was {outcome}, expected a refusal with one of "
                          f"{sorted(exp.codes)}")


# ---------------------------------------------------------------------------------------------------
# fixtures

@pytest.fixture(scope="module")
def workdir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("hostile")


@pytest.fixture(scope="module")
def kind_files(workdir) -> dict[str, Path]:
    return hostile.write_all(workdir / "kinds")


def _parallel(fn, items):
    with ThreadPoolExecutor(PARALLEL) as pool:
        return dict(zip([k.name for k in items], pool.map(fn, items)))


@pytest.fixture(scope="module")
def reader_runs(workdir, kind_files) -> dict[str, Run]:
    def one(kind: Kind) -> Run:
        return run_limited([PY, "-c", READER, str(ROOT), str(kind_files[kind.name]), kind.filename,
                            kind.expect.contains or "", json.dumps(list(kind.expect.absent))],
                           workdir / "reader" / kind.name)
    return _parallel(one, KINDS)


@pytest.fixture(scope="module")
def cli_runs(workdir, kind_files) -> dict[str, Run]:
    def one(kind: Kind) -> Run:
        return run_limited([PY, "-m", "service.cli", "check", str(kind_files[kind.name]), "--format", "json"],
                           workdir / "cli" / kind.name)
    return _parallel(one, KINDS)


# ---------------------------------------------------------------------------------------------------
# the reader

@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_reader(kind: Kind, reader_runs):
    run = reader_runs[kind.name]
    within_limits(run, "read_document")
    line = next((ln for ln in run.stdout.splitlines() if ln.startswith("READER-RESULT ")), None)
    assert line, f"read_document gave no result\n{run.describe()}"
    res = json.loads(line.split(" ", 1)[1])
    assert res["outcome"] != "crash", f"read_document raised {res['exception']} (not a DocumentError)\n{run.describe()}"
    _outcome_ok(kind, res["outcome"], res.get("code"), res.get("http"), "read_document")
    if res["outcome"] == "refused":
        assert CJK.search(res["zh"]) and res["en"].strip(), f"messages must be Chinese and English: {res}"
    else:
        assert res["characters"] > 0
        assert res["contains"], f"the text read lacks {kind.expect.contains!r}"
        assert not res["absent_found"], f"the text read holds {res['absent_found']}"


# ---------------------------------------------------------------------------------------------------
# clausecheck check

def _codes_in(obj) -> set[str]:
    """Every value of a "code" key anywhere in a JSON value."""
    if isinstance(obj, dict):
        found = {obj["code"]} if isinstance(obj.get("code"), str) else set()
        for v in obj.values():
            found |= _codes_in(v)
        return found
    if isinstance(obj, list):
        return set().union(*(_codes_in(v) for v in obj)) if obj else set()
    return set()


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_cli_check(kind: Kind, cli_runs):
    run = cli_runs[kind.name]
    within_limits(run, "clausecheck check")
    assert "Traceback (most recent call last)" not in run.stderr, f"a traceback reached the user\n{run.describe()}"
    assert run.returncode in (0, 1, 2), run.describe()
    try:
        payload = json.loads(run.stdout)
    except ValueError:
        pytest.fail(f"--format json printed no JSON: {run.stdout[:300]!r}\n{run.describe()}")
    if run.returncode == 2:
        assert BILINGUAL.search(run.stderr), f"exit 2 without a Chinese / English message\n{run.describe()}"
        assert payload != [] and isinstance(payload, dict), f"--format json printed {run.stdout[:200]!r} on failure"
        assert "findings" not in payload, "a failed file must not print a review"
        codes = _codes_in(payload)
        assert codes, f"the JSON error object carries no code: {payload}"
        _outcome_ok(kind, "refused", sorted(codes & kind.expect.codes or codes)[0], None, "clausecheck check")
    else:
        _outcome_ok(kind, "read", None, None, "clausecheck check")
        assert isinstance(payload, dict) and "findings" in payload, f"exit {run.returncode} without a review"
        assert payload["document"]["characters"] > 0
        assert not RAW_CONTROL.search(run.stdout), "raw control characters on stdout"


# ---------------------------------------------------------------------------------------------------
# the REST API: one real server for the module

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, workdir: Path):
        self.tmp = workdir / "server-tmp"
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = open(workdir / "server.log", "wb")
        # RLIMIT_AS 4 GiB only protects the machine; the bound tested is RSS < 1 GiB per process.
        self.proc = subprocess.Popen(
            [PY, "-c", LAUNCH, str(4 << 30), PY, "-m", "service.cli", "serve", "--port", str(self.port),
             "--db", str(workdir / "server.sqlite3")],
            cwd=ROOT, env=_clean_env(TMPDIR=str(self.tmp), CLAUSECHECK_WORKERS="2",
                                     CLAUSECHECK_REVIEW_TIMEOUT=str(int(TIME_LIMIT))),
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log, start_new_session=True)
        self.http = httpx.Client(base_url=self.base, timeout=TIME_LIMIT)
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}")
            try:
                if self.http.get("/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not answer /healthz within 60 s")
            time.sleep(0.2)
        r = self.review(*hostile.good_contract())  # warm the workers
        assert r.status_code == 200, r.text
        self.baseline_tmp = _listing(self.tmp)

    def review(self, name: str, data: bytes, timeout: float = TIME_LIMIT) -> httpx.Response:
        return self.http.post("/v1/reviews", files={"file": (name, data, "application/octet-stream")}, timeout=timeout)

    def rss(self) -> dict[int, int]:
        """RSS in bytes of the server and every process under it."""
        import psutil

        try:
            main = psutil.Process(self.proc.pid)
            procs = [main, *main.children(recursive=True)]
        except psutil.Error:
            return {}
        out = {}
        for p in procs:
            try:
                out[p.pid] = p.memory_info().rss
            except psutil.Error:
                pass
        return out

    def stop(self) -> None:
        self.http.close()
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(20)
        except (subprocess.TimeoutExpired, ProcessLookupError):
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(10)
        for pid, _ in _session_members(self.proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        self.log.close()


@dataclass
class Watch:
    peak_rss: dict[int, int] = field(default_factory=dict)
    health_max: float = 0.0
    health_failures: list[str] = field(default_factory=list)


class watching:
    """Sample the server's memory and time /healthz while a request is in flight."""

    def __init__(self, server: Server):
        self.server, self.watch, self.stop = server, Watch(), threading.Event()

    def __enter__(self) -> Watch:
        self.threads = [threading.Thread(target=self._memory, daemon=True),
                        threading.Thread(target=self._health, daemon=True)]
        for t in self.threads:
            t.start()
        return self.watch

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(15)

    def _memory(self) -> None:
        while not self.stop.is_set():
            for pid, rss in self.server.rss().items():
                self.watch.peak_rss[pid] = max(self.watch.peak_rss.get(pid, 0), rss)
            self.stop.wait(0.05)

    def _health(self) -> None:
        with httpx.Client(base_url=self.server.base, timeout=10) as http:
            while not self.stop.wait(0.25):
                t0 = time.perf_counter()
                try:
                    ok = http.get("/healthz").status_code == 200
                except httpx.HTTPError as exc:
                    ok = False
                    self.watch.health_failures.append(type(exc).__name__)
                dt = time.perf_counter() - t0
                self.watch.health_max = max(self.watch.health_max, dt)
                if not ok and not self.watch.health_failures:
                    self.watch.health_failures.append("not 200")


HEALTH_WHILE_BUSY = 1.0  # seconds: /healthz while a hostile file is being worked on


@pytest.fixture(scope="module")
def server(workdir):
    srv = Server(workdir)
    try:
        yield srv
    finally:
        srv.stop()


def _server_after(server: Server, what: str) -> None:
    """The server is up, answers at once, reviews a normal contract, and left no temp file."""
    assert server.proc.poll() is None, f"{what}: the server process died"
    t0 = time.perf_counter()
    assert server.http.get("/healthz", timeout=5).status_code == 200
    assert time.perf_counter() - t0 < HEALTH_WHILE_BUSY, f"{what}: /healthz took {time.perf_counter() - t0:.2f} s"
    r = server.review(*hostile.good_contract())
    assert r.status_code == 200, f"{what}: the next normal review got {r.status_code}: {r.text[:300]}"
    deadline = time.monotonic() + 3
    while _listing(server.tmp) != server.baseline_tmp and time.monotonic() < deadline:
        time.sleep(0.1)
    left = sorted(set(_listing(server.tmp)) - set(server.baseline_tmp))
    assert not left, f"{what}: temporary files left behind: {left[:10]}"
    tools = [cmd for _, cmd in _session_members(server.proc.pid) if re.search(r"tesseract|soffice", cmd)]
    assert not tools, f"{what}: OCR/LibreOffice processes outlive the answer: {tools}"


def _memory_ok(watch: Watch, what: str) -> None:
    worst = max(watch.peak_rss.values(), default=0)
    assert worst < MEMORY_LIMIT, f"{what}: a server process reached {worst / 2**20:.0f} MB RSS ({watch.peak_rss})"
    assert watch.health_max < HEALTH_WHILE_BUSY, f"{what}: /healthz took {watch.health_max:.2f} s meanwhile"
    assert not watch.health_failures, f"{what}: /healthz failed meanwhile: {watch.health_failures}"


def _problem(r: httpx.Response) -> dict:
    assert r.headers.get("content-type", "").startswith("application/problem+json"), r.headers.get("content-type")
    body = r.json()
    assert CJK.search(body.get("detail", "")), f"detail must be Chinese: {body}"
    return body


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_api_review(kind: Kind, server: Server):
    what = f"POST /v1/reviews {kind.name}"
    t0 = time.monotonic()
    with watching(server) as watch:
        try:
            r = server.review(kind.filename, kind.data())
        except httpx.TimeoutException:
            pytest.fail(f"{what}: no answer within {TIME_LIMIT:g} s")
    took = time.monotonic() - t0
    assert r.status_code < 500, f"{what}: {r.status_code} {r.text[:300]}"
    assert took <= TIME_LIMIT, f"{what}: took {took:.1f} s"
    if r.status_code == 200:
        _outcome_ok(kind, "read", None, None, what)
        review = r.json()
        text = review.get("document_text") or ""
        assert review["document"]["characters"] > 0
        if kind.expect.contains:
            assert kind.expect.contains in text, f"{what}: the text lacks {kind.expect.contains!r}"
        assert not [a for a in kind.expect.absent if a in text], f"{what}: the text holds {kind.expect.absent}"
        name = review["document"]["name"]
        assert not CONTROL.search(name), f"{what}: stored name keeps control characters: {name!r}"
        assert "/" not in name and "\\" not in name and len(name) <= 255, f"{what}: stored name {name[:80]!r}"
        stored = server.http.get(f"/v1/reviews/{review['id']}").json()["document"]["name"]
        assert not CONTROL.search(stored), f"{what}: stored name keeps control characters: {stored!r}"
    else:
        body = _problem(r)
        _outcome_ok(kind, "refused", body.get("code"), r.status_code, what)
    _memory_ok(watch, what)
    _server_after(server, what)



BOMB = hostile.by_name("zip-bomb-lying-content-types")


@pytest.mark.parametrize("packing", ["files", "zip"])
def test_api_batch_with_a_bomb(packing: str, server: Server):
    """The issue's worst case: /v1/batches sniffed members on the event loop, so a lying zip took the
    server's main process to 2 GB and stalled /healthz. The bomb fails alone; the good contract is
    reviewed; the server stays small and responsive."""
    good_name, good = hostile.good_contract()
    if packing == "files":
        files = [("files", (BOMB.filename, BOMB.data(), "application/octet-stream")),
                 ("files", (good_name, good, "text/plain"))]
    else:
        files = [("files", ("contracts.zip", zip_of({BOMB.filename: BOMB.data(), good_name: good}, zipfile.ZIP_STORED), "application/zip"))]
    what = f"POST /v1/batches ({packing})"
    with watching(server) as watch:
        r = server.http.post("/v1/batches", files=files)
        assert r.status_code in (202, 400, 413), f"{what}: {r.status_code} {r.text[:300]}"
        if r.status_code == 202:
            url = r.json()["status_url"]
            deadline = time.monotonic() + 2 * TIME_LIMIT
            while True:
                view = server.http.get(url).json()
                if view["status"] == "done":
                    break
                assert time.monotonic() < deadline, f"{what}: batch not done after {2 * TIME_LIMIT:g} s: {view}"
                time.sleep(0.5)
    _memory_ok(watch, what)
    if r.status_code != 202:
        _problem(r)
    else:
        results = {x["name"].rsplit("/", 1)[-1]: x for x in view["results"]}
        assert results[good_name]["status"] == "ok", results
        bad = results[BOMB.filename]
        assert bad["status"] == "failed" and bad["error"]["code"] in BOMB.expect.codes, bad
    _server_after(server, what)


def test_api_batch_zip_path_traversal(server: Server):
    good_name, good = hostile.good_contract()
    r = server.http.post("/v1/batches", files=[("files", ("contracts.zip", zip_of(
        {"../../../../tmp/clausecheck-evil.txt": good, good_name: good}, zipfile.ZIP_STORED), "application/zip"))])
    assert r.status_code == 400, r.text[:300]
    _problem(r)
    assert not Path("/tmp/clausecheck-evil.txt").exists()
    _server_after(server, "zip with ../ member")


# ---------------------------------------------------------------------------------------------------
# clausecheck batch over a folder of all of them

@dataclass
class BatchResult:
    run: Run
    out: Path
    summary: list[dict]
    errors: list[dict]
    outputs_text: str  # every output file and stderr, for "is it listed anywhere"


GOOD_NAME = hostile.good_contract()[0]
# Names that promise a contract: such a file is reviewed or gets a failed row, never skipped (README,
# batch review); any other file that is not a supported type may be skipped, but listed.
DOCUMENT_SUFFIXES = {".txt", ".md", ".docx", ".pdf", ".doc", ".wps", ".ofd", ".rtf", ".docm", ".wpt"}


@pytest.fixture(scope="module")
def batch(workdir, kind_files) -> BatchResult:
    folder = workdir / "kinds"
    good_name, good = hostile.good_contract()
    (folder / good_name).write_bytes(good)
    out = workdir / "batch-out"
    run = run_limited([PY, "-m", "service.cli", "batch", str(folder), "--out", str(out), "--workers", "2",
                       "--timeout", str(int(TIME_LIMIT))], workdir / "batch-run", timeout=BATCH_TIMEOUT)

    def rows(name: str) -> list[dict]:
        path = out / name
        if not path.exists():
            return []
        with open(path, encoding="utf-8-sig", newline="") as fh:
            return list(csv.DictReader(fh))

    texts = [run.stderr]
    for p in sorted(out.glob("*")) if out.exists() else []:
        if p.is_file() and p.suffix in (".csv", ".jsonl", ".html", ".txt", ".json"):
            texts.append(p.read_text("utf-8", "replace"))
    return BatchResult(run, out, rows("summary.csv"), rows("errors.csv"), "\n".join(texts))


def _printable(name: str) -> str:
    return CONTROL.sub("", re.sub(r"\x1b\[[0-9;]*[A-Za-z]|\x1b\][^\x07]*\x07", "", name))


def _row_for(file_name: str, rows: list[dict], token: str | None = None) -> dict | None:
    """The row of a file, found by its name as written, as printable, or (hostile names, which the
    product may clean) by the printable token in it."""
    for row in rows:
        name = row.get("file", "")
        if name == file_name or name.rsplit("/", 1)[-1] == _printable(file_name) or (token and token in name):
            return row
    return None


def test_batch_finishes(batch: BatchResult):
    run = batch.run
    assert not run.timed_out, f"the batch did not finish within {BATCH_TIMEOUT:g} s\n{run.describe()}"
    assert run.returncode == 0, run.describe()
    assert "Traceback (most recent call last)" not in run.stderr, run.describe()
    assert run.max_rss < MEMORY_LIMIT, f"peak RSS {run.max_rss / 2**20:.0f} MB"
    assert not run.temp_left, f"temporary files left behind: {run.temp_left[:10]}"
    assert not run.procs_left, f"processes left running: {run.procs_left}"
    good = _row_for(GOOD_NAME, batch.summary)
    assert good is not None and good.get("verdict"), f"the good contract was not reviewed: {batch.summary[:3]}"


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_batch_row(kind: Kind, batch: BatchResult):
    assert not batch.run.timed_out, "the batch did not finish"
    failed = _row_for(kind.file_name, batch.errors, kind.token)
    reviewed = _row_for(kind.file_name, batch.summary, kind.token)
    if kind.file_name.startswith("."):  # listed, reviewed or not, never silently skipped
        assert reviewed or failed or (kind.token or kind.file_name) in batch.outputs_text, \
            f"{kind.file_name!r} is in no output and not in the summary printed"
        return
    if not (failed or reviewed) and Path(kind.file_name).suffix.lower() not in DOCUMENT_SUFFIXES:
        # Not named as a document (a web page): batch may skip it as "not a contract", if it says so.
        assert kind.expect.may_refuse, f"{kind.file_name!r} must be reviewed"
        assert (kind.token or kind.file_name) in batch.outputs_text, f"{kind.file_name!r} skipped without being listed"
        return
    assert failed or reviewed, f"{kind.file_name!r} is neither in summary.csv nor in errors.csv"
    if failed:
        _outcome_ok(kind, "refused", failed.get("code"), None, "batch")
        assert CJK.search(failed.get("message", "")), f"errors.csv message must be Chinese: {failed}"
    else:
        _outcome_ok(kind, "read", None, None, "batch")
