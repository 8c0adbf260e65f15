"""A bounded pool for the CPU-heavy review work, kept off the event loop.

At most `workers` documents are worked on at once and at most `queue_size` more wait; beyond that
callers get `Overloaded` at once (the API answers 503 with Retry-After) instead of piling up memory.
The process pool runs each document in a long-lived worker process, so a document that exceeds the
time limit can really be stopped: its worker, and the Tesseract processes it started, are killed and
replaced. Each worker caps its own memory and the CPU time of each task (service.limits): a document
that needs more ends as LimitExceeded ("too large / too complex"), never as a server that swaps. The
thread pool (for tests and platforms where processes are a problem) can only stop waiting for it.
"""
from __future__ import annotations

import asyncio
import multiprocessing as mp
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable

from . import limits as work_limits
from .limits import LimitFailure, WorkLimits


class Overloaded(Exception):
    def __init__(self, retry_after: int):
        super().__init__("overloaded")
        self.retry_after = retry_after


class TimedOut(Exception):
    pass


class WorkerCrashed(Exception):
    pass


class LimitExceeded(Exception):
    """The document needed more memory or CPU than a worker may use, or was nested too deep."""

    def __init__(self, failure: LimitFailure):
        super().__init__(failure.code)
        self.failure = failure


def _limit_for(exc: BaseException, limits: WorkLimits | None) -> LimitFailure | None:
    if isinstance(exc, MemoryError):
        return work_limits.memory_exceeded(limits)
    if isinstance(exc, RecursionError):
        return work_limits.too_deep()
    return None


def review_job(data: bytes, name: str, profile: str, limits: tuple[int, ...]) -> dict:
    """The unit of work. Domain errors come back as data: they cross a process boundary, and
    DocumentError's constructor does not survive pickling. `limits`: (max_bytes, max_pages,
    max_ocr_pages[, max_characters])."""
    from clause_library import UnknownProfile
    from nlp import DocumentError, Limits

    from .pipeline import read_checked, review_document

    try:
        doc = read_checked(data, name, Limits(*limits[:3]), limits[3] if len(limits) > 3 else None)
        return {"review": review_document(doc, profile), "text": doc.text}
    except DocumentError as e:
        return {"error": {"status": e.http_status, "code": e.code, "zh": e.message_zh, "en": e.message_en}}
    except UnknownProfile as e:
        return {"error": {"status": 422, "code": "unknown-profile",
                          "zh": f"未知的审查模板：{e.profile}。可用：{'、'.join(e.known)}。", "en": str(e)}}


def character_check_job(data: bytes, max_characters: int) -> dict | None:
    """Whether a plain-text upload is over the characters limit, without reading it as a document:
    the API refuses it before queueing a review. Sniffing happens here, in a worker, because it opens
    zips."""
    from nlp.errors import TooLarge

    from .pipeline import check_characters_before_reading

    try:
        check_characters_before_reading(data, max_characters)
    except TooLarge as exc:
        return {"code": exc.code, "zh": exc.message_zh}
    except Exception:  # anything else is for the review to report
        return None
    return None


def _warm_up() -> None:
    import clause_library
    import nlp  # noqa: F401

    clause_library.library()
    from nlp.segment import search_tokens

    search_tokens("合同")  # jieba's dictionaries load once per worker, not inside a request's time limit


class _Slots:
    """Admission control shared by both pools: `workers` run, `queue_size` wait, the rest are refused."""

    def __init__(self, workers: int, queue_size: int):
        self.workers = max(1, workers)
        self.limit = self.workers + max(0, queue_size)
        self.inflight = 0
        self.running = asyncio.Semaphore(self.workers)

    def admit(self) -> None:
        if self.inflight >= self.limit:
            raise Overloaded(retry_after=max(1, min(60, 2 * self.inflight // self.workers)))
        self.inflight += 1


class ThreadPool:
    def __init__(self, workers: int, queue_size: int, timeout: float):
        self.timeout = timeout
        self._workers, self._queue_size = workers, queue_size
        self._executor: ThreadPoolExecutor | None = None
        self._slots: _Slots | None = None

    def start(self) -> None:
        self._slots = _Slots(self._workers, self._queue_size)
        self._executor = ThreadPoolExecutor(self._slots.workers, thread_name_prefix="review")

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        slots = self._slots
        slots.admit()
        try:
            await slots.running.acquire()
            fut = asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)
            # the slot stays taken until the thread really ends, even if we stop waiting for it
            fut.add_done_callback(lambda _f: slots.running.release())
            try:
                return await asyncio.wait_for(asyncio.shield(fut), self.timeout)
            except asyncio.TimeoutError:
                raise TimedOut() from None
            except (MemoryError, RecursionError) as exc:
                raise LimitExceeded(_limit_for(exc, None)) from None
        finally:
            slots.inflight -= 1

    def stop(self) -> None:
        if self._executor:
            self._executor.shutdown(wait=False, cancel_futures=True)


def _worker_main(conn, warm: bool, limits: WorkLimits, cpu_seconds: float | None) -> None:
    from .child import start_child

    start_child(limits)  # own process group, memory cap, JSON stderr under the server
    if warm:
        try:
            _warm_up()
        except Exception:
            pass  # the first job will report the problem
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return  # the server went away
        if task is None:
            return
        fn, args = task
        work_limits.arm_cpu(cpu_seconds)
        recycle = False
        try:
            reply = ("ok", fn(*args))
        except (MemoryError, RecursionError) as exc:
            reply = ("limit", _limit_for(exc, limits))
            # after a failed allocation the heap may be fragmented or a library half-initialised
            recycle = isinstance(exc, MemoryError)
        except Exception as exc:  # a bug: report its type only, the message may quote the contract
            reply = ("error", type(exc).__name__)
        try:
            conn.send(reply)
        except MemoryError:  # the answer itself did not fit
            reply, recycle = None, True
            try:
                conn.send(("limit", work_limits.memory_exceeded(limits)))
            except (EOFError, OSError, MemoryError):
                return
        except (EOFError, OSError):
            return
        if recycle:
            return  # the pool replaces a worker that has ended


class _Worker:
    def __init__(self, ctx, warm: bool, limits: WorkLimits, cpu_seconds: float | None):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, warm, limits, cpu_seconds), daemon=True,
                                name="clausecheck-worker")
        self.proc.start()
        child.close()
        self.dead = False

    def exit_code(self) -> int | None:
        self.proc.join(2)
        return self.proc.exitcode

    def kill(self) -> None:
        from .child import kill_group

        self.dead = True
        try:
            # the worker and any Tesseract it started, even if the worker itself has ended
            kill_group(self.proc.pid, reaped=self.proc.exitcode is not None)
            self.proc.join(5)
        finally:
            self.conn.close()


class ProcessPool:
    def __init__(self, workers: int, queue_size: int, timeout: float, warm: bool = True,
                 limits: WorkLimits | None = None):
        self.timeout = timeout
        self._workers, self._queue_size, self._warm = workers, queue_size, warm
        self.limits = limits or work_limits.from_env()
        self._cpu = self.limits.cpu_for(timeout)
        self._ctx = mp.get_context("spawn")  # no fork of a threaded server
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._slots: _Slots | None = None
        self._io: ThreadPoolExecutor | None = None

    def _spawn(self) -> _Worker:
        w = _Worker(self._ctx, self._warm, self.limits, self._cpu)
        with self._lock:
            self._all.add(w)
        return w

    def start(self) -> None:
        self._slots = _Slots(self._workers, self._queue_size)
        self._io = ThreadPoolExecutor(self._slots.workers, thread_name_prefix="review-io")
        self._idle = [self._spawn() for _ in range(self._slots.workers)]

    def _exchange(self, w: _Worker, fn, args) -> tuple[str, Any]:
        # runs in an I/O thread: sending 50 MB down a pipe must not block the event loop
        try:
            w.conn.send((fn, args))
            if not w.conn.poll(self.timeout):
                w.kill()
                return ("timeout", None)
            reply = w.conn.recv()
            if reply[0] == "limit" and reply[1].code == "too-large":
                w.kill()  # it is ending itself after a failed allocation; replace it now, not mid-task
            return reply
        except (EOFError, OSError, BrokenPipeError):
            code = w.exit_code()  # before the kill: how it ended says why (SIGXCPU, OOM killer)
            w.kill()
            return ("died", code)

    def _release(self, w: _Worker) -> None:
        if w.dead or not w.proc.is_alive():
            with self._lock:
                self._all.discard(w)
            if not w.dead:
                w.kill()
            w = self._spawn()
        self._idle.append(w)
        self._slots.running.release()

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        slots = self._slots
        slots.admit()
        try:
            await slots.running.acquire()
            w = self._idle.pop()
            fut = asyncio.get_running_loop().run_in_executor(self._io, self._exchange, w, fn, args)
            fut.add_done_callback(lambda _f: self._release(w))
            status, payload = await asyncio.shield(fut)
        finally:
            slots.inflight -= 1
        if status == "ok":
            return payload
        if status == "timeout":
            raise TimedOut()
        if status == "limit":
            raise LimitExceeded(payload)
        if status == "died" and payload is not None and payload < 0:  # ended by a signal
            raise LimitExceeded(work_limits.died(payload, self.limits, self._cpu))
        raise WorkerCrashed(payload if status == "error" else "worker process ended")

    def stop(self) -> None:
        with self._lock:
            workers = list(self._all)
        for w in workers:
            try:
                w.conn.send(None)
            except (OSError, BrokenPipeError):
                pass
        for w in workers:
            w.proc.join(2)
            if w.proc.is_alive():
                w.kill()
        if self._io:
            self._io.shutdown(wait=False, cancel_futures=True)


def make_pool(kind: str, workers: int, queue_size: int, timeout: float, limits: WorkLimits | None = None):
    if kind == "thread":
        return ThreadPool(workers, queue_size, timeout)
    return ProcessPool(workers, queue_size, timeout, limits=limits)
