"""The same batch on a Dask distributed cluster.

Workers only compute: each task reviews one file (in a sandbox child of the worker, so the per-file
deadline and crash isolation hold there too) and returns the result; the client alone writes the
outputs. Tasks are pure functions of their payload with deterministic keys, so when a worker dies
and the scheduler re-runs its tasks elsewhere, nothing is written twice.
"""
from __future__ import annotations

import threading
from typing import Callable

from .sandbox import Sandbox, failure

_local = threading.local()


def review_task(payload: dict, timeout: float, review_fn: str) -> dict:
    """Runs on a Dask worker. One sandbox per worker thread, kept warm across tasks."""
    sandbox = getattr(_local, "sandbox", None)
    if sandbox is None or sandbox.review_fn != review_fn:
        if sandbox is not None:
            sandbox.kill()
        sandbox = _local.sandbox = Sandbox(review_fn)
    result = sandbox.call(payload, timeout)
    try:
        from distributed import get_worker

        result["worker"] = get_worker().address
    except Exception:
        pass
    return result


def _client(address: str, workers: int):
    from distributed import Client, LocalCluster

    if address == "local":
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                               dashboard_address=None, host="127.0.0.1")
        return Client(cluster), cluster
    return Client(address, timeout="20s"), None


def run_on_dask(address: str, tasks: list, on_result: Callable, *, workers: int, timeout: float,
                review_fn: str, shared_storage: bool, report=None) -> None:
    from dask.base import tokenize
    from distributed import as_completed
    from distributed.scheduler import KilledWorker

    client, cluster = _client(address, workers)
    futures: dict = {}
    try:
        threads = sum(client.nthreads().values()) or workers
        # Bytes of every file in flight at once would sit in client and scheduler memory.
        window = max(4, 2 * threads)
        queue = iter(tasks)
        done = set()
        peak: dict[str, int] = {}

        def submit(task) -> bool:
            if shared_storage:
                payload = {"path": task.cand.path, "name": task.name, "profile": task.profile}
            else:
                try:
                    with open(task.cand.path, "rb") as fh:
                        payload = {"data": fh.read(), "name": task.name, "profile": task.profile}
                except OSError as exc:
                    on_result(task, failure("io-error", f"无法读取文件：{exc.strerror or exc}"))
                    return False
            key = f"clausecheck-review-{tokenize(task.cand.rel, task.key, review_fn)}"
            fut = client.submit(review_task, payload, timeout, review_fn, key=key, pure=True, retries=1)
            futures[fut] = task
            pending.add(fut)
            return True

        pending = as_completed()
        for task in queue:
            if submit(task) and len(futures) >= window:
                break
        for fut in pending:
            task = futures.pop(fut)
            try:
                result = fut.result()
            except KilledWorker:  # the file was on several workers in turn when each of them died
                result = failure("worker-crashed", "审查该文件的集群节点多次失联，已放弃该文件。")
            except Exception as exc:  # e.g. clausecheck not installed on that worker
                result = failure("internal-error", f"集群节点无法执行审查：{type(exc).__name__}: {exc}")
            fut.release()
            if task.cand.rel not in done:
                done.add(task.cand.rel)
                worker = result.pop("worker", None)
                if worker:
                    peak[worker] = max(peak.get(worker, 0), int(result.get("peak_rss_kb") or 0))
                on_result(task, result)
            for nxt in queue:
                if submit(nxt):
                    break
        if report is not None:
            report.peak_rss_kb = peak
    finally:
        for fut in list(futures):
            fut.cancel()
        client.close()
        if cluster is not None:
            cluster.close()

