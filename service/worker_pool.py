"""A bounded pool for the CPU-heavy review work, kept off the event loop.

At most `workers` documents are worked on at once and at most `queue_size` more wait; beyond that
callers get `Overloaded` at once (the API answers 503 with Retry-After) instead of piling up memory.
The process pool runs each document in a long-lived worker process, so a document that exceeds the
time limit can really be stopped: its worker is killed and replaced. The thread pool (for tests and
platforms where processes are a problem) can only stop waiting for it.
"""
from __future__ import annotations

import asyncio
import multiprocessing as mp
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable


class Overloaded(Exception):
    def __init__(self, retry_after: int):
        super().__init__("overloaded")
        self.retry_after = retry_after


class TimedOut(Exception):
    pass


class WorkerCrashed(Exception):
    pass


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
        finally:
            slots.inflight -= 1

    def stop(self) -> None:
        if self._executor:
            self._executor.shutdown(wait=False, cancel_futures=True)


def _worker_main(conn, warm: bool) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server decides when workers stop
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
        try:
            reply = ("ok", fn(*args))
        except Exception as exc:  # a bug: report its type only, the message may quote the contract
            reply = ("error", type(exc).__name__)
        try:
            conn.send(reply)
        except (EOFError, OSError):
            return


class _Worker:
    def __init__(self, ctx, warm: bool):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, warm), daemon=True, name="clausecheck-worker")
        self.proc.start()
        child.close()
        self.dead = False

    def kill(self) -> None:
        self.dead = True
        try:
            self.proc.kill()
            self.proc.join(5)
        finally:
            self.conn.close()


class ProcessPool:
    def __init__(self, workers: int, queue_size: int, timeout: float, warm: bool = True):
        self.timeout = timeout
        self._workers, self._queue_size, self._warm = workers, queue_size, warm
        self._ctx = mp.get_context("spawn")  # no fork of a threaded server
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._slots: _Slots | None = None
        self._io: ThreadPoolExecutor | None = None

    def _spawn(self) -> _Worker:
        w = _Worker(self._ctx, self._warm)
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
            return w.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            w.kill()
            return ("crashed", None)

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
        raise WorkerCrashed(payload or "worker process ended")

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


def make_pool(kind: str, workers: int, queue_size: int, timeout: float):
    if kind == "thread":
        return ThreadPool(workers, queue_size, timeout)
    return ProcessPool(workers, queue_size, timeout)
