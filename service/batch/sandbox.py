"""One review at a time in a child process that can be killed.

A hostile file may make a reader hang, exhaust memory or crash the interpreter. Reviewing inside a
separate process lets the caller enforce a deadline (kill and replace the child) and survive a crash
(EOF on the pipe). The child is started with subprocess rather than multiprocessing because Dask
worker processes are daemonic and multiprocessing refuses to give daemons children; it also means
no fork of a threaded parent (API server, Dask worker) and no re-import of the caller's __main__.

The child caps its own memory and the CPU time of each task, and leads its own process group so
that killing it also kills the Tesseract processes it started (service.child, service.limits). It
runs review tasks ({"path" | "data", "name", "profile"}) and, for the CLI and the upload checks,
any "module:function" call ({"call": spec, "args": [...]}).

Frames are multiprocessing.connection messages over the child's stdin/stdout.
"""
from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time
import traceback
from multiprocessing.connection import Connection

from service import limits as work_limits
from service.limits import WorkLimits

DEFAULT_REVIEW_FN = "service.pipeline:review_bytes"
STARTUP_TIMEOUT = 180.0


def resolve(spec: str):
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


def failure(code: str, message: str, message_en: str | None = None, status: int | None = None) -> dict:
    error = {"code": code, "message": message}
    if message_en:
        error["message_en"] = message_en
    if status:
        error["http_status"] = status
    return {"status": "failed", "error": error}


def run_task(review_fn, task: dict) -> dict:
    """Never raises: every outcome becomes a result dict the parent can record. A result with
    "recycle" asks the parent to replace this child (after a failed allocation)."""
    from nlp import DocumentError

    started = time.perf_counter()
    try:
        if task.get("call"):
            out = {"status": "ok", "value": resolve(task["call"])(*task.get("args", ()))}
        else:
            review = review_fn()(_task_bytes(task), task["name"], task.get("profile", "auto"))
            out = {"status": "ok", "review": review}
    except DocumentError as exc:
        out = failure(exc.code, exc.message_zh, exc.message_en, exc.http_status)
    except MemoryError:
        out = work_limits.memory_exceeded(task.get("limits") and WorkLimits(**task["limits"])).as_failure()
        out["recycle"] = True
    except RecursionError:
        out = work_limits.too_deep().as_failure()
    except OSError as exc:
        out = failure("io-error", f"无法读取文件：{exc.strerror or exc}", f"Cannot read the file: {exc.strerror or exc}")
    except Exception as exc:  # the engine's bugs must not stop the batch
        from clause_library import UnknownProfile

        if isinstance(exc, UnknownProfile):
            out = failure("unknown-profile", f"未知的审查模板：{exc.profile}", str(exc), 422)
        else:
            out = failure("internal-error", f"审查出错：{type(exc).__name__}: {exc}",
                          f"Internal error: {type(exc).__name__}")
            out["error"]["trace"] = traceback.format_exc(limit=8)
    out["seconds"] = round(time.perf_counter() - started, 4)
    out["peak_rss_kb"] = _peak_rss_kb()
    return out


def _task_bytes(task: dict) -> bytes:
    data = task.get("data")
    if data is not None:
        return data
    with open(task["path"], "rb") as fh:
        max_bytes = task.get("max_bytes")
        if max_bytes and os.fstat(fh.fileno()).st_size > max_bytes:  # refused before it is read
            from nlp.errors import TooLarge

            mb = max_bytes // (1024 * 1024)
            raise TooLarge(f"文件超过大小上限（{mb} MB）。", f"The file exceeds the size limit ({mb} MB).")
        return fh.read()


def _peak_rss_kb() -> int:
    try:
        import resource

        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    except Exception:
        return 0


def _warm_segmenter() -> None:
    try:
        from nlp.segment import search_tokens

        search_tokens("合同")
    except Exception:
        pass  # a segmenter that cannot load is reported by the first review that needs it


def child_main() -> None:
    from service.child import start_child

    inbox = Connection(os.dup(0))
    outbox = Connection(os.dup(1))
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    try:
        init = inbox.recv()
        limits = init.get("limits") or {}
        # own process group, memory cap, JSON stderr under the server; a terminal's Ctrl-C reaches
        # the whole foreground group: only the parent decides what stops.
        start_child(limits)
        # Stray prints from libraries must not corrupt the frame stream.
        os.dup2(2, 1)
        for p in reversed(init.get("sys_path", [])):
            if p not in sys.path:
                sys.path.insert(0, p)
        spec = init.get("review_fn")
        fn = resolve(spec) if spec else None  # a bad review function fails the start, not every file

        def review_fn():
            return fn or resolve(DEFAULT_REVIEW_FN)

        if init.get("warm", True):
            _warm_segmenter()  # loading jieba belongs to start-up, not to the first file's time limit
        outbox.send({"ready": True, "pid": os.getpid()})
        while True:
            task = inbox.recv()
            work_limits.arm_cpu(task.get("cpu_seconds"))
            out = run_task(review_fn, {**task, "limits": limits})
            outbox.send(out)
            if out.get("recycle"):
                return  # the parent replaces us
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        pass  # parent went away: nothing left to do


class WorkerDied(Exception):
    def __init__(self, reason: str, returncode: int | None = None):
        super().__init__(reason)
        self.returncode = returncode


class Sandbox:
    """Parent-side handle on one child. Not thread-safe: one caller per sandbox."""

    def __init__(self, review_fn: str | None = DEFAULT_REVIEW_FN, limits: WorkLimits | None = None,
                 warm: bool = True):
        self.review_fn = review_fn
        self.limits = limits or work_limits.from_env()
        self.warm = warm
        self.proc: subprocess.Popen | None = None
        self.conn_in: Connection | None = None
        self.conn_out: Connection | None = None
        self.ready = False

    def start(self) -> None:
        env = dict(os.environ)
        env.setdefault("PYTHONUNBUFFERED", "1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "service.batch.sandbox_main"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
            cwd=os.getcwd(), close_fds=True,
            # Own session and process group: a terminal's Ctrl-C is handled by the parent alone, and
            # kill() ends the child together with the tools it started.
            start_new_session=True,
        )
        self.conn_out = Connection(os.dup(self.proc.stdin.fileno()))
        self.conn_in = Connection(os.dup(self.proc.stdout.fileno()))
        self.proc.stdin.close()
        self.proc.stdout.close()
        self.ready = False
        self.conn_out.send({"sys_path": [p for p in sys.path if p], "review_fn": self.review_fn,
                            "limits": self.limits.as_dict(), "warm": self.warm})

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def fileno(self) -> int:
        return self.conn_in.fileno()

    def task(self, message: dict, timeout: float) -> dict:
        """The message with this task's CPU allowance."""
        return {**message, "cpu_seconds": self.limits.cpu_for(timeout)}

    def send(self, task: dict) -> None:
        try:
            self.conn_out.send(task)
        except (BrokenPipeError, OSError) as exc:
            raise WorkerDied(str(exc), self._returncode()) from exc

    def recv(self) -> dict:
        try:
            return self.conn_in.recv()
        except (EOFError, OSError) as exc:
            reason = self.death_reason()
            raise WorkerDied(reason, self._returncode()) from exc

    def _returncode(self) -> int | None:
        if self.proc is None:
            return None
        try:
            return self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return None

    def death_reason(self) -> str:
        if self.proc is None:
            return "未启动"
        rc = self._returncode()
        if rc is None:
            return "工作进程无响应"
        if rc < 0:
            return work_limits.died(rc).zh
        return f"工作进程异常退出（退出码 {rc}）"

    def crashed(self, exc: WorkerDied, timeout: float | None = None) -> dict:
        """The result for the task a child died on: a limit when a signal ended it (SIGXCPU, the OOM
        killer, a library that aborted when memory ran out), else a crash."""
        if exc.returncode is not None and exc.returncode < 0:
            return work_limits.died(exc.returncode, self.limits, self.limits.cpu_for(timeout)).as_failure()
        return failure("worker-crashed", f"审查该文件时工作进程崩溃：{exc}",
                       "The review process crashed on this file.", 422)

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT) -> None:
        if not self.conn_in.poll(timeout):
            self.kill()
            raise WorkerDied("工作进程启动超时")
        self.recv()
        self.ready = True

    def kill(self) -> None:
        from service.child import kill_group

        for conn in (self.conn_in, self.conn_out):
            try:
                if conn is not None:
                    conn.close()
            except OSError:
                pass
        self.conn_in = self.conn_out = None
        if self.proc is not None:
            # the child and any Tesseract it started, even if the child itself has ended
            kill_group(self.proc.pid, reaped=self.proc.returncode is not None)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.ready = False

    def call(self, task: dict, timeout: float) -> dict:
        """Run one task synchronously; starts or replaces the child as needed."""
        if not self.alive or self.conn_in is None:
            self.kill()
            self.start()
        try:
            if not self.ready:
                self.wait_ready()
            self.send(self.task(task, timeout))
            if not self.conn_in.poll(timeout):
                self.kill()
                return work_limits.timed_out(timeout).as_failure()
            result = self.recv()
        except WorkerDied as exc:
            self.kill()
            return self.crashed(exc, timeout)
        if result.pop("recycle", False):
            self.kill()  # it ends itself after a failed allocation; the next call starts a fresh one
        return result
