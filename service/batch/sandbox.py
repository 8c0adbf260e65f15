"""One review at a time in a child process that can be killed.

A hostile file may make a reader hang, exhaust memory or crash the interpreter. Reviewing inside a
separate process lets the caller enforce a deadline (kill and replace the child) and survive a crash
(EOF on the pipe). The child is started with subprocess rather than multiprocessing because Dask
worker processes are daemonic and multiprocessing refuses to give daemons children; it also means
no fork of a threaded parent (API server, Dask worker) and no re-import of the caller's __main__.

Frames are multiprocessing.connection messages over the child's stdin/stdout.
"""
from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time
import traceback
from multiprocessing.connection import Connection

DEFAULT_REVIEW_FN = "service.pipeline:review_bytes"
STARTUP_TIMEOUT = 180.0


def resolve(spec: str):
    module, _, attr = spec.partition(":")
    return getattr(importlib.import_module(module), attr)


def failure(code: str, message: str) -> dict:
    return {"status": "failed", "error": {"code": code, "message": message}}


def run_task(review_fn, task: dict) -> dict:
    """Never raises: every outcome becomes a result dict the parent can record."""
    from nlp import DocumentError

    started = time.perf_counter()
    try:
        data = task.get("data")
        if data is None:
            with open(task["path"], "rb") as fh:
                data = fh.read()
        review = review_fn(data, task["name"], task.get("profile", "auto"))
        out = {"status": "ok", "review": review}
    except DocumentError as exc:
        out = failure(exc.code, exc.message_zh)
    except MemoryError:
        out = failure("out-of-memory", "审查该文件时内存不足。")
    except OSError as exc:
        out = failure("io-error", f"无法读取文件：{exc.strerror or exc}")
    except Exception as exc:  # the engine's bugs must not stop the batch
        out = failure("internal-error", f"审查出错：{type(exc).__name__}: {exc}")
        out["error"]["trace"] = traceback.format_exc(limit=8)
    out["seconds"] = round(time.perf_counter() - started, 4)
    out["peak_rss_kb"] = _peak_rss_kb()
    return out


def _peak_rss_kb() -> int:
    try:
        import resource

        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    except Exception:
        return 0


def _exit_with_parent() -> None:
    # A parent killed with SIGKILL cannot kill us; a child hung on a hostile file would never read
    # the EOF that normally ends it.
    import threading

    parent = os.getppid()

    def watch():
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _warm_segmenter() -> None:
    try:
        from nlp.segment import search_tokens

        search_tokens("合同")
    except Exception:
        pass  # a segmenter that cannot load is reported by the first review that needs it


def child_main() -> None:
    _exit_with_parent()
    # Ctrl-C in a terminal reaches the whole process group; only the parent decides what stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    inbox = Connection(os.dup(0))
    outbox = Connection(os.dup(1))
    # Stray prints from libraries must not corrupt the frame stream.
    os.dup2(2, 1)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    try:
        init = inbox.recv()
        for p in reversed(init.get("sys_path", [])):
            if p not in sys.path:
                sys.path.insert(0, p)
        review_fn = resolve(init.get("review_fn", DEFAULT_REVIEW_FN))
        _warm_segmenter()  # loading jieba and spaCy belongs to start-up, not to the first file's time limit
        outbox.send({"ready": True, "pid": os.getpid()})
        while True:
            task = inbox.recv()
            outbox.send(run_task(review_fn, task))
    except (EOFError, BrokenPipeError, KeyboardInterrupt):
        pass  # parent went away: nothing left to do


class WorkerDied(Exception):
    pass


class Sandbox:
    """Parent-side handle on one child. Not thread-safe: one caller per sandbox."""

    def __init__(self, review_fn: str = DEFAULT_REVIEW_FN):
        self.review_fn = review_fn
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
            # Own session: a terminal's Ctrl-C is handled by the parent alone.
            start_new_session=True,
        )
        self.conn_out = Connection(os.dup(self.proc.stdin.fileno()))
        self.conn_in = Connection(os.dup(self.proc.stdout.fileno()))
        self.proc.stdin.close()
        self.proc.stdout.close()
        self.ready = False
        self.conn_out.send({"sys_path": [p for p in sys.path if p], "review_fn": self.review_fn})

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def fileno(self) -> int:
        return self.conn_in.fileno()

    def send(self, task: dict) -> None:
        try:
            self.conn_out.send(task)
        except (BrokenPipeError, OSError) as exc:
            raise WorkerDied(str(exc)) from exc

    def recv(self) -> dict:
        try:
            return self.conn_in.recv()
        except (EOFError, OSError) as exc:
            raise WorkerDied(self.death_reason()) from exc

    def death_reason(self) -> str:
        if self.proc is None:
            return "未启动"
        try:
            rc = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            return "工作进程无响应"
        if rc < 0:
            try:
                name = signal.Signals(-rc).name
            except ValueError:
                name = str(-rc)
            return f"工作进程被信号 {name} 终止"
        return f"工作进程异常退出（退出码 {rc}）"

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT) -> None:
        if not self.conn_in.poll(timeout):
            self.kill()
            raise WorkerDied("工作进程启动超时")
        self.recv()
        self.ready = True

    def kill(self) -> None:
        for conn in (self.conn_in, self.conn_out):
            try:
                if conn is not None:
                    conn.close()
            except OSError:
                pass
        self.conn_in = self.conn_out = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        self.ready = False

    def call(self, task: dict, timeout: float) -> dict:
        """Review one task synchronously; starts or replaces the child as needed."""
        if not self.alive or self.conn_in is None:
            self.kill()
            self.start()
        try:
            if not self.ready:
                self.wait_ready()
            self.send(task)
            if not self.conn_in.poll(timeout):
                self.kill()
                return failure("timeout", f"审查超过 {timeout:g} 秒未完成，已终止。")
            return self.recv()
        except WorkerDied as exc:
            self.kill()
            return failure("worker-crashed", f"审查该文件时工作进程崩溃：{exc}")

