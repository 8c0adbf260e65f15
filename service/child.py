"""What every child process that reads user files does first, and how its parent ends it.

- It leads its own process group, so the parent ends it and everything it started (Tesseract) with
  one killpg; a child killed alone would leave its OCR processes running on.
- It ends itself, group included, when its parent disappears (a parent killed with SIGKILL cannot
  stop a child busy in C code on a hostile file).
- It ignores SIGINT: a terminal's Ctrl-C reaches the whole foreground group; the parent decides.
- Under the server (CLAUSECHECK_LOG_FORMAT=json) its stderr, and that of the tools it runs, becomes
  JSON log lines, so a warning from Tesseract or a C library cannot break the server's log.
- Its address space is capped (service.limits).
"""
from __future__ import annotations

import json
import os
import signal
import threading
import time

from . import limits as work_limits

LOG_FORMAT_ENV = "CLAUSECHECK_LOG_FORMAT"
MAX_LOG_LINE = 2000


def start_child(limits=None, *, watch_parent: bool = True) -> None:
    _own_group()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    work_limits.apply_memory(limits)  # first: it also limits malloc arenas, before any thread starts
    if os.environ.get(LOG_FORMAT_ENV) == "json":
        _json_stderr()
    if watch_parent:
        _exit_with_parent()


def kill_group(pid: int | None, reaped: bool = False) -> None:
    """SIGKILL the process group `pid` leads (the child and its tools), or the process alone if it
    never became a leader. After the child was reaped only its group is signalled: Linux does not
    reuse a number while a process group still holds it, but the bare pid may belong to someone else."""
    if not pid:
        return
    try:
        os.killpg(pid, signal.SIGKILL)
        return
    except (ProcessLookupError, PermissionError, OSError):
        pass
    if reaped:
        return
    try:
        os.kill(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, OSError):
        pass


def _own_group() -> None:
    try:
        if os.getpgrp() != os.getpid():
            os.setpgid(0, 0)
    except (OSError, AttributeError):
        pass  # a session leader (started with start_new_session) already leads its group


def _exit_with_parent() -> None:
    parent = os.getppid()

    def watch():
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                try:
                    if os.getpgrp() == os.getpid():
                        os.killpg(0, signal.SIGKILL)  # Tesseract too, and ourselves
                except OSError:
                    pass
                os._exit(1)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()


def _json_stderr() -> None:
    """Route fd 2 through a pipe whose lines are re-emitted as JSON objects on the real stderr."""
    import logging

    real = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)

    def relay():
        out = os.fdopen(real, "w", encoding="utf-8", errors="replace", buffering=1)
        with os.fdopen(read_end, "rb") as src:
            for raw in src:
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if not line.strip():
                    continue
                if not (line.startswith("{") and line.endswith("}")):
                    line = json.dumps({"level": "warning", "logger": "clausecheck.worker.stderr",
                                       "message": line[:MAX_LOG_LINE]}, ensure_ascii=False)
                out.write(line + "\n")

    threading.Thread(target=relay, daemon=True, name="stderr-relay").start()
    from .jsonlog import JsonLines

    handler = logging.StreamHandler()  # sys.stderr, i.e. the pipe
    handler.setFormatter(JsonLines())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    logging.captureWarnings(True)
