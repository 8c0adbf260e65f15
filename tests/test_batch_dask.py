"""The batch on a real Dask cluster (LocalCluster on loopback): same outputs as the local pool,
and a worker killed mid-batch costs nothing but time."""
from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path

import pytest

distributed = pytest.importorskip("distributed")

from service.batch.runner import BatchOptions, run_batch  # noqa: E402
from service.cli import main  # noqa: E402

BASE = (Path(__file__).resolve().parents[1] / "fixtures" / "sample" / "base_contract.txt").read_text(encoding="utf-8")


def slow_review(data: bytes, name: str, profile: str = "auto"):
    """Slow enough that a worker is surely busy when it is killed."""
    time.sleep(0.4)
    from service.pipeline import review_bytes

    return review_bytes(data, name, profile)


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, processes=True, threads_per_worker=1, host="127.0.0.1",
                      dashboard_address=None) as c, Client(c) as client:
        yield c, client


def make_folder(root: Path, n: int) -> set[str]:
    root.mkdir()
    names = set()
    for i in range(n):
        name = f"合同{i:02d}.txt"
        (root / name).write_text(BASE.replace("海棠", f"第{i}号"), encoding="utf-8")
        names.add(name)
    (root / "empty.txt").write_bytes(b"")
    return names


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_cli_runs_on_scheduler(cluster, tmp_path: Path):
    c, _ = cluster
    names = make_folder(tmp_path / "in", 6)
    out = tmp_path / "out"
    assert main(["batch", str(tmp_path / "in"), "--out", str(out), "--scheduler", c.scheduler_address, "--quiet"]) == 0
    results = read_jsonl(out / "results.jsonl")
    assert sorted(r["file"] for r in results) == sorted(names)
    assert [f["file"] for f in read_jsonl(out / "failures.jsonl")] == ["empty.txt"]
    assert (out / "report.html").is_file() and (out / "summary.xlsx").is_file()
    # Resume works the same through the cluster.
    assert main(["batch", str(tmp_path / "in"), "--out", str(out), "--scheduler", c.scheduler_address, "--quiet"]) == 0
    assert len(read_jsonl(out / "results.jsonl")) == len(names)


def test_shared_storage_sends_paths(cluster, tmp_path: Path):
    c, _ = cluster
    names = make_folder(tmp_path / "in", 3)
    out = tmp_path / "out"
    assert main(["batch", str(tmp_path / "in"), "--out", str(out), "--scheduler", c.scheduler_address,
                 "--shared-storage", "--quiet"]) == 0
    assert sorted(r["file"] for r in read_jsonl(out / "results.jsonl")) == sorted(names)


def test_worker_killed_mid_batch(cluster, tmp_path: Path):
    c, client = cluster
    names = make_folder(tmp_path / "in", 14)
    out = tmp_path / "out"
    outcome = {}

    def batch():
        outcome["report"] = run_batch(BatchOptions(root=str(tmp_path / "in"), out=str(out), scheduler=c.scheduler_address,
                                                   timeout=60, review_fn=f"{__name__}:slow_review"))

    runner = threading.Thread(target=batch)
    runner.start()
    deadline = time.monotonic() + 60
    while not read_jsonl(out / "results.jsonl") and time.monotonic() < deadline:
        time.sleep(0.05)
    busy = [w for w, keys in client.processing().items() if keys]
    assert busy, "no worker busy: the batch ended too early to test a crash"
    pid = client.run(os.getpid, workers=[busy[0]])[busy[0]]
    os.kill(pid, signal.SIGKILL)
    runner.join(timeout=90)
    assert not runner.is_alive()
    results = read_jsonl(out / "results.jsonl")
    files = [r["file"] for r in results]
    assert sorted(files) == sorted(names), "every contract reviewed exactly once"
    assert [f["file"] for f in read_jsonl(out / "failures.jsonl")] == ["empty.txt"]
    assert outcome["report"].ok == len(names)
    client.wait_for_workers(2, timeout=30)  # the nanny replaced the killed worker
    assert pid not in client.run(os.getpid).values()
