"""Batches submitted over the REST API: an in-memory, bounded registry; each batch reviewed in a
background thread with its own small sandbox pool."""
from __future__ import annotations

import logging
import os
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable

from .pool import LocalPool, PoolError
from .sandbox import DEFAULT_REVIEW_FN, failure

log = logging.getLogger("clausecheck.batch")


@dataclass
class JobSettings:
    workers: int = max(1, min(2, os.cpu_count() or 1))
    timeout: float = 120.0
    max_jobs: int = 64  # kept in the registry, finished ones evicted oldest first
    max_unfinished: int = 8  # queued + running; beyond this the API answers 503
    max_running: int = 2  # batches reviewed at the same time (each with its own pool)
    review_fn: str = DEFAULT_REVIEW_FN


@dataclass
class Item:
    name: str
    data: bytes | None
    result: dict | None = None
    review_id: str | None = None  # where the review was stored (on_review), for GET /v1/reviews/{id}


@dataclass
class Job:
    id: str
    profile: str
    items: list[Item]
    status: str = "queued"
    created: float = field(default_factory=time.time)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # called in the batch's thread with each successful review; returns the stored review's id
    on_review: Callable[[Item, dict], str | None] | None = None

    def view(self) -> dict:
        with self.lock:
            results = [_public(it) for it in self.items if it.result is not None]
            return {"id": self.id, "status": self.status, "profile": self.profile, "total": len(self.items),
                    "done": len(results), "failed": sum(1 for r in results if r["status"] == "failed"),
                    "results": results}


def _public(item: Item) -> dict:
    r = item.result
    if r.get("status") == "ok":
        review = r["review"]
        out = {"name": item.name, "status": "ok", "profile": review.get("profile"),
               "summary": review.get("summary"), "document": {
                   k: (review.get("document") or {}).get(k) for k in ("sha256", "format", "pages", "characters")}}
        if item.review_id:
            out["review_id"] = item.review_id
        return out
    err = r.get("error") or {}
    return {"name": item.name, "status": "failed",
            "error": {"code": err.get("code", "internal-error"), "detail": err.get("message", "")}}


class Overloaded(Exception):
    pass


class Registry:
    def __init__(self, settings: JobSettings | None = None):
        self.settings = settings or JobSettings()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._running = threading.Semaphore(self.settings.max_running)

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def submit(self, files: list[tuple[str, bytes]], profile: str,
               on_review: Callable[[Item, dict], str | None] | None = None) -> Job:
        job = Job(id=uuid.uuid4().hex, profile=profile, items=[Item(n, d) for n, d in files], on_review=on_review)
        with self._lock:
            unfinished = sum(1 for j in self._jobs.values() if j.status != "done")
            if unfinished >= self.settings.max_unfinished:
                raise Overloaded()
            self._jobs[job.id] = job
            self._evict()
        threading.Thread(target=self._run, args=(job,), name=f"batch-{job.id[:8]}", daemon=True).start()
        return job

    def _evict(self) -> None:
        for job_id in [j.id for j in self._jobs.values() if j.status == "done"]:
            if len(self._jobs) <= self.settings.max_jobs:
                break
            del self._jobs[job_id]

    def _run(self, job: Job) -> None:
        with self._running:
            with job.lock:
                job.status = "running"
            pending = [i for i in job.items if i.result is None]

            def on_result(item: Item, result: dict) -> None:
                review_id = None
                if job.on_review and result.get("status") == "ok":
                    try:
                        review_id = job.on_review(item, result["review"])
                    except Exception as exc:  # storing is a bonus: the batch result stands without it
                        log.error("batch review not stored: %s", type(exc).__name__)
                with job.lock:
                    item.result = result
                    item.review_id = review_id
                    item.data = None  # the bytes were the bulk of the job's memory

            pool = LocalPool(self.settings.workers, self.settings.timeout, self.settings.review_fn)
            try:
                pool.run(pending, lambda it: {"data": it.data, "name": os.path.basename(it.name),
                                              "profile": job.profile}, on_result)
            except PoolError as exc:
                for item in job.items:
                    if item.result is None:
                        on_result(item, failure("internal-error", str(exc)))
            except Exception as exc:  # the thread must always leave the job finished
                for item in job.items:
                    if item.result is None:
                        on_result(item, failure("internal-error", f"批量审查出错：{type(exc).__name__}"))
            finally:
                with job.lock:
                    job.status = "done"
        with self._lock:
            self._evict()
