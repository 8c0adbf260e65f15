"""A fixed number of sandboxes fed one file at a time.

Not concurrent.futures.ProcessPoolExecutor: it cannot kill the one worker stuck on a hostile file,
and a single crashed worker breaks the whole executor. Here each child is independent: on a deadline,
a crash or a resource limit (service.limits) only that child is replaced and only its file is
recorded as failed.
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Callable

from service import limits as work_limits
from service.limits import WorkLimits

from .sandbox import DEFAULT_REVIEW_FN, STARTUP_TIMEOUT, Sandbox, WorkerDied, failure

# A child that cannot even start (broken install, bad review function) would otherwise be
# replaced forever.
MAX_STARTUP_FAILURES = 3


class PoolError(RuntimeError):
    pass


@dataclass
class _Slot:
    sandbox: Sandbox
    task: object = None
    deadline: float = 0.0
    started: float = 0.0

    def boot(self) -> None:
        self.sandbox.kill()
        self.sandbox.start()
        self.task = None
        self.deadline = time.monotonic() + STARTUP_TIMEOUT


class LocalPool:
    def __init__(self, workers: int, timeout: float, review_fn: str = DEFAULT_REVIEW_FN,
                 limits: WorkLimits | None = None):
        self.workers = max(1, int(workers))
        self.timeout = float(timeout)
        self.review_fn = review_fn
        self.limits = limits or work_limits.from_env()
        self.peak_rss_kb: dict[int, int] = {}  # child pid -> peak resident memory

    def run(self, tasks, payload: Callable[[object], dict], on_result: Callable[[object, dict], None]) -> None:
        """payload(task) -> what the child reviews; on_result(task, result) for every task, in the
        calling thread. KeyboardInterrupt (or any exception from on_result) kills every child."""
        pending = deque(tasks)
        slots = [_Slot(Sandbox(self.review_fn, self.limits)) for _ in range(min(self.workers, len(pending)))]
        startup_failures = 0
        try:
            for slot in slots:
                slot.boot()
            while pending or any(s.task is not None for s in slots):
                for slot in slots:
                    if slot.sandbox.ready and slot.task is None and pending:
                        self._assign(slot, pending.popleft(), payload, on_result)
                now = time.monotonic()
                wake = min((s.deadline for s in slots if s.task is not None or not s.sandbox.ready), default=now + 1)
                ready = wait([s.sandbox for s in slots if s.sandbox.conn_in is not None],
                             timeout=max(0.0, wake - now))
                for slot in slots:
                    if slot.sandbox in ready:
                        startup_failures = self._receive(slot, on_result, startup_failures)
                now = time.monotonic()
                for slot in slots:
                    if now < slot.deadline:
                        continue
                    if slot.task is not None:
                        task, slot.task = slot.task, None
                        slot.boot()
                        on_result(task, work_limits.timed_out(self.timeout).as_failure())
                    elif not slot.sandbox.ready:
                        startup_failures = self._startup_failed(slot, startup_failures, "工作进程启动超时")
        finally:
            for slot in slots:
                slot.sandbox.kill()

    def _assign(self, slot: _Slot, task, payload, on_result) -> None:
        try:
            message = payload(task)
        except OSError as exc:  # the file vanished or changed access since discovery
            on_result(task, failure("io-error", f"无法读取文件：{exc.strerror or exc}",
                                    f"Cannot read the file: {exc.strerror or exc}"))
            return
        slot.task = task
        slot.started = time.monotonic()
        slot.deadline = slot.started + self.timeout
        try:
            slot.sandbox.send(slot.sandbox.task(message, self.timeout))
        except WorkerDied as exc:
            slot.task = None
            result = slot.sandbox.crashed(exc, self.timeout)
            slot.boot()
            on_result(task, result)

    def _receive(self, slot: _Slot, on_result, startup_failures: int) -> int:
        try:
            message = slot.sandbox.recv()
        except WorkerDied as exc:
            if slot.task is None:
                return self._startup_failed(slot, startup_failures, str(exc))
            task, slot.task = slot.task, None
            result = slot.sandbox.crashed(exc, self.timeout)
            slot.boot()
            on_result(task, result)
            return startup_failures
        if slot.task is None:  # the "ready" greeting
            slot.sandbox.ready = True
            slot.deadline = float("inf")
            return 0
        task, slot.task = slot.task, None
        slot.deadline = float("inf")
        pid = slot.sandbox.proc.pid
        self.peak_rss_kb[pid] = max(self.peak_rss_kb.get(pid, 0), int(message.get("peak_rss_kb") or 0))
        if message.pop("recycle", False):
            slot.boot()  # it ends itself after a failed allocation: a fresh child for the next file
        on_result(task, message)
        return startup_failures

    def _startup_failed(self, slot: _Slot, count: int, reason: str) -> int:
        count += 1
        if count >= MAX_STARTUP_FAILURES:
            raise PoolError(f"工作进程无法启动：{reason}")
        slot.boot()
        return count
