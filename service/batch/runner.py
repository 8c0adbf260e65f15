"""One batch: discover, skip what earlier runs settled, review the rest (local pool or Dask),
log each file as it finishes, rebuild the summaries."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol

from .discover import Candidate, discover
from .outputs import collect, write_all
from .sandbox import DEFAULT_REVIEW_FN
from .state import Log, load, make_key

DEFAULT_TIMEOUT = 300.0


class UnusableDir(Exception):
    """The folder to review (or the output folder) cannot be used; the CLI exits 2."""


class Events(Protocol):
    def started(self, todo: int, reused: int) -> None: ...
    def finished_one(self, rel: str, ok: bool) -> None: ...


@dataclass
class BatchOptions:
    root: str
    out: str
    profile: str = "auto"
    workers: int | None = None
    timeout: float = DEFAULT_TIMEOUT
    scheduler: str | None = None  # "local" for a LocalCluster, or tcp://host:8786
    shared_storage: bool = False  # Dask workers open the files by path instead of receiving bytes
    retry_failed: bool = False
    review_fn: str = DEFAULT_REVIEW_FN  # "module:function" with pipeline.review_bytes's signature


@dataclass
class BatchReport:
    total: int = 0  # contracts in the folder now
    reused: int = 0  # settled by an earlier run
    reviewed: int = 0  # reviewed in this run (ok or failed)
    ok: int = 0
    failed: int = 0  # failed in the folder now, this run or earlier
    skipped: list[str] = field(default_factory=list)
    skip_reasons: dict[str, str] = field(default_factory=dict)  # skipped rel -> why
    interrupted: bool = False
    seconds: float = 0.0
    peak_rss_kb: dict = field(default_factory=dict)  # worker -> peak resident memory


@dataclass
class _Task:
    cand: Candidate
    key: str
    profile: str

    @property
    def name(self) -> str:
        # from the cleaned relative path: no control characters or terminal escapes in any output
        return self.cand.rel.rsplit("/", 1)[-1]


def check_dirs(root: str, out: str) -> None:
    if not os.path.isdir(root):
        raise UnusableDir(f"目录不存在或不是目录：{root}")
    if not os.access(root, os.R_OK | os.X_OK):
        raise UnusableDir(f"无权读取目录：{root}")
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as exc:
        raise UnusableDir(f"无法创建输出目录 {out}：{exc.strerror or exc}") from exc
    if not os.access(out, os.W_OK | os.X_OK):
        raise UnusableDir(f"无权写入输出目录：{out}")


def _lock_out(out: str):
    """Two runs appending to the same logs would interleave lines; the second one is refused."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no advisory locks, run unguarded
        return None
    fh = open(os.path.join(out, ".lock"), "a")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        raise UnusableDir(f"另一个批量审查正在使用输出目录 {out}，请等待其结束或换一个 --out。") from None
    return fh


def run_batch(opts: BatchOptions, events: Events | None = None) -> BatchReport:
    check_dirs(opts.root, opts.out)
    lock = _lock_out(opts.out)
    try:
        return _run(opts, events)
    finally:
        if lock is not None:
            lock.close()


def _run(opts: BatchOptions, events: Events | None) -> BatchReport:
    from clause_library import rules_version

    started = time.perf_counter()
    report = BatchReport()
    state = load(opts.out)
    found = discover(opts.root, exclude=[opts.out])
    report.skipped = found.skipped
    report.skip_reasons = found.reasons
    rules = rules_version()
    log = Log(state)
    extra = {"rules_version": rules, "profile": opts.profile}
    todo: list[_Task] = []
    current: list[tuple[str, str]] = []
    for cand in found.candidates:
        key = make_key(cand.sha256, rules, opts.profile)
        current.append((cand.rel, key))
        prior = state.lookup(cand.rel, key)
        if prior is not None and (prior.ok or not opts.retry_failed):
            report.reused += 1
        elif cand.error is not None:
            log.append(cand.rel, key, False, {"error": {"code": cand.error[0], "message": cand.error[1]}}, extra)
            report.reviewed += 1
        else:
            todo.append(_Task(cand, key, opts.profile))
    report.total = len(current)
    if events:
        events.started(todo=len(todo), reused=report.reused)

    def on_result(task: _Task, result: dict) -> None:
        ok = result.get("status") == "ok"
        if ok:
            record = result["review"]
        else:
            err = result.get("error") or {}
            record = {"error": {"code": err.get("code", "internal-error"), "message": err.get("message", "")}}
        seconds = {"seconds": result.get("seconds")} if result.get("seconds") is not None else {}
        log.append(task.cand.rel, task.key, ok, record, {**extra, **seconds})
        report.reviewed += 1
        if events:
            events.finished_one(task.cand.rel, ok)

    try:
        if todo:
            _execute(opts, todo, on_result, report)
    except KeyboardInterrupt:
        report.interrupted = True
    finally:
        log.close()
        entries = [state.lookup(rel, key) for rel, key in current]
        entries = [e for e in entries if e is not None]
        report.ok = sum(1 for e in entries if e.ok)
        report.failed = sum(1 for e in entries if not e.ok)
        write_all(opts.out, collect(entries), title=os.path.basename(os.path.abspath(opts.root)))
        report.seconds = time.perf_counter() - started
    return report


def _execute(opts: BatchOptions, todo: list[_Task], on_result: Callable, report: BatchReport) -> None:
    from service.limits import from_env
    from service.settings import default_workers, env_workers

    workers = opts.workers or env_workers() or default_workers(from_env().memory_mb)
    if opts.scheduler:
        from .cluster import run_on_dask

        run_on_dask(opts.scheduler, todo, on_result, workers=workers, timeout=opts.timeout,
                    review_fn=opts.review_fn, shared_storage=opts.shared_storage, report=report)
        return
    from .pool import LocalPool

    pool = LocalPool(workers, opts.timeout, opts.review_fn)
    try:
        pool.run(todo, lambda t: {"path": t.cand.path, "name": t.name, "profile": opts.profile}, on_result)
    finally:
        report.peak_rss_kb = {f"pid {pid}": kb for pid, kb in pool.peak_rss_kb.items()}
