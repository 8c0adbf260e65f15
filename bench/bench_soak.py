"""Loopback load and soak of `clausecheck serve` (issue 11, "Load and soak"). Not a test.

    .venv/bin/python bench/bench_soak.py [--minutes 5] [--clients 16] [--hostile-share 0.25] [--pages 30]
                                         [--no-baseline] [--baseline-minutes M] [--throughput-seconds 30]
                                         [--workers N]

Starts the server on 127.0.0.1 with a temporary database, then:

1. warm-up: a few good uploads;
2. baseline (--baseline, on by default): the same load made of good uploads only (a generated ~30-page
   contract PDF, bench/bench_api.py), for the good-upload p95 to compare with;
3. soak: --clients concurrent clients for --minutes, mixing good uploads with every kind of the hostile
   corpus (tests/fixturegen/hostile.py) in turn; meanwhile the RSS of every server process is sampled
   and /healthz is timed while the pool is saturated;
4. throughput: 1 client, then N clients (N = usable cores), good uploads only: reviews/s, and the
   throughput per core against the single-review CPU time measured in the 1-client run.

Prints requests served, status counts, good-upload p50/p95, RSS over time, /healthz latency and the
throughput figures, each next to its target (no 5xx, no failed good request, RSS growth < 10 % after
warm-up, /healthz < 100 ms, good p95 within 1.5x of good-only p95, N clients >= 0.8 x N x one-client
rate). Exit status 0 when every target is met, 1 otherwise.
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "bench")]

TARGET_HEALTH_S = 0.100
TARGET_RSS_GROWTH = 0.10
TARGET_P95_RATIO = 1.5
TARGET_SCALING = 0.8


# ---------------------------------------------------------------------------------------------------
# the server and its processes

def usable_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def tree(pid: int) -> list[int]:
    """The server and every process under it (psutil comes with dask[distributed])."""
    import psutil

    try:
        return [pid, *(p.pid for p in psutil.Process(pid).children(recursive=True))]
    except psutil.Error:  # the server is gone
        return []


def rss_of(pid: int) -> int:
    """Resident bytes of one process; 0 once it has gone."""
    import psutil

    try:
        return psutil.Process(pid).memory_info().rss
    except psutil.Error:
        return 0


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes (those gone count 0)."""
    import psutil

    total = 0.0
    for pid in pids:
        try:
            t = psutil.Process(pid).cpu_times()
            total += t.user + t.system
        except psutil.Error:
            pass
    return total


class Server:
    def __init__(self, workers: int | None, queue: int | None):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.tmp = tempfile.mkdtemp(prefix="clausecheck-soak-")
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUSECHECK_") and k != "DATABASE_URL"}
        env["PYTHONPATH"] = str(ROOT)
        if workers:
            env["CLAUSECHECK_WORKERS"] = str(workers)
        if queue:
            env["CLAUSECHECK_QUEUE"] = str(queue)
        self.log_path = Path(self.tmp) / "server.log"
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(self.port),
                                      "--db", f"{self.tmp}/soak.sqlite3"], cwd=ROOT, env=env,
                                     stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                if httpx.get(self.base + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit("server did not answer /healthz within 90 s")

    def log_tail(self, n: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text("utf-8", "replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


# ---------------------------------------------------------------------------------------------------
# load

@dataclass
class Sample:
    kind: str  # "good" or a hostile kind's name
    status: int | str  # HTTP status, or the exception's name
    seconds: float
    started: float


@dataclass
class LoadResult:
    samples: list[Sample] = field(default_factory=list)
    wall: float = 0.0

    def good(self) -> list[Sample]:
        return [s for s in self.samples if s.kind == "good"]

    def good_latencies(self) -> list[float]:
        return [s.seconds for s in self.good() if s.status == 200]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def run_load(base: str, seconds: float, clients: int, good: tuple[str, bytes], hostile_kinds: list,
             hostile_share: float, on_tick=None) -> LoadResult:
    """`clients` threads posting until `seconds` have passed; a request under way then is waited for."""
    result = LoadResult()
    lock = threading.Lock()
    counter = [0]
    deadline = time.monotonic() + seconds
    every = round(1 / hostile_share) if hostile_share > 0 else 0

    def pick() -> tuple[str, str, bytes]:
        with lock:
            counter[0] += 1
            n = counter[0]
        if every and hostile_kinds and n % every == 0:
            kind = hostile_kinds[(n // every) % len(hostile_kinds)]
            return kind.name, kind.filename, kind.data()
        return "good", good[0], good[1]

    def client() -> None:
        with httpx.Client(timeout=600) as http:
            while time.monotonic() < deadline:
                kind, name, data = pick()
                t0 = time.perf_counter()
                started = time.monotonic()
                try:
                    status: int | str = http.post(base + "/v1/reviews", files={"file": (name, data)}).status_code
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                with lock:
                    result.samples.append(Sample(kind, status, time.perf_counter() - t0, started))

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        if on_tick:
            on_tick()
        time.sleep(0.5)
    result.wall = time.perf_counter() - t0
    return result


class Monitor:
    """RSS of every server process every `every` s, and /healthz latency every second."""

    def __init__(self, server: Server, every: float = 2.0):
        self.server, self.every = server, every
        self.rss: list[tuple[float, dict[int, int]]] = []
        self.health: list[float] = []
        self.health_errors: Counter = Counter()
        self.stop = threading.Event()
        self.t0 = time.monotonic()

    def __enter__(self):
        self.threads = [threading.Thread(target=self._rss, daemon=True), threading.Thread(target=self._health, daemon=True)]
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(15)

    def sample_rss(self) -> dict[int, int]:
        return {pid: rss_of(pid) for pid in tree(self.server.proc.pid)}

    def _rss(self):
        while not self.stop.is_set():
            self.rss.append((time.monotonic() - self.t0, self.sample_rss()))
            self.stop.wait(self.every)

    def _health(self):
        with httpx.Client(timeout=30) as http:
            while not self.stop.wait(1.0):
                t0 = time.perf_counter()
                try:
                    r = http.get(self.server.base + "/healthz")
                    if r.status_code != 200:
                        self.health_errors[str(r.status_code)] += 1
                except httpx.HTTPError as exc:
                    self.health_errors[type(exc).__name__] += 1
                self.health.append(time.perf_counter() - t0)


# ---------------------------------------------------------------------------------------------------
# report

def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def mb(n: int) -> str:
    return f"{n / 2**20:.0f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=5.0, help="soak duration (default 5)")
    ap.add_argument("--clients", type=int, default=16)
    ap.add_argument("--hostile-share", type=float, default=0.25, help="share of uploads taken from the hostile corpus")
    ap.add_argument("--pages", type=int, default=30, help="pages of the good contract PDF")
    ap.add_argument("--baseline", dest="baseline", action="store_true", default=True,
                    help="first run the same load with good uploads only (default)")
    ap.add_argument("--no-baseline", dest="baseline", action="store_false")
    ap.add_argument("--baseline-minutes", type=float, default=None, help="default: --minutes")
    ap.add_argument("--throughput-seconds", type=float, default=30.0, help="each of the 1-client and N-client runs; 0 skips")
    ap.add_argument("--workers", type=int, default=None, help="CLAUSECHECK_WORKERS for the server (default: its own)")
    ap.add_argument("--queue", type=int, default=None, help="CLAUSECHECK_QUEUE for the server (default: its own)")
    ap.add_argument("--rss-every", type=float, default=2.0, help="seconds between RSS samples")
    ap.add_argument("--warmup-share", type=float, default=0.2,
                    help="part of the soak counted as warm-up for the RSS growth target (default 0.2)")
    args = ap.parse_args()

    from bench_api import make_pdf
    from fixturegen import hostile

    data, name = make_pdf(args.pages)
    good = (name, data)
    kinds = list(hostile.KINDS)
    for k in kinds:
        k.data()  # build them all before the clock starts
    cores = usable_cores()
    print(f"good upload: {name}, {len(data) / 1024:.0f} KiB, ~{args.pages} pages; hostile corpus: {len(kinds)} kinds, "
          f"{args.hostile_share:.0%} of uploads; {args.clients} clients; {cores} usable cores")
    server = Server(args.workers, args.queue)
    targets: list[tuple[str, bool]] = []
    try:
        warm = httpx.post(server.base + "/v1/reviews", files={"file": good}, timeout=300)
        if warm.status_code != 200:
            print(f"warm-up failed: {warm.status_code} {warm.text[:300]}", file=sys.stderr)
            return 1
        doc = warm.json()["document"]
        print(f"server reads it as {doc['format']}, {doc.get('pages')} pages, {doc['characters']} characters")
        run_load(server.base, 10, min(args.clients, 2 * cores), good, [], 0)  # warm every worker

        base_p95 = None
        if args.baseline:
            minutes = args.baseline_minutes if args.baseline_minutes is not None else args.minutes
            print(f"\n== baseline: {args.clients} clients, good uploads only, {minutes:g} min")
            res = run_load(server.base, minutes * 60, args.clients, good, [], 0)
            lat = res.good_latencies()
            base_p95 = pct(lat, 95)
            bad = [s for s in res.samples if s.status != 200]
            print(f"   {len(res.samples)} requests, {len(lat) / res.wall:.2f} reviews/s, p50 {pct(lat, 50):.2f} s, "
                  f"p95 {base_p95:.2f} s, not 200: {Counter(str(s.status) for s in bad) or 0}")

        print(f"\n== soak: {args.clients} clients, {args.minutes:g} min, good + hostile")
        with Monitor(server, args.rss_every) as mon:
            warm_rss = mon.sample_rss()
            res = run_load(server.base, args.minutes * 60, args.clients, good, kinds, args.hostile_share)
            time.sleep(min(5, args.rss_every * 2))  # let the last answers settle before the final sample
            end_rss = mon.sample_rss()
        statuses = Counter(str(s.status) for s in res.samples)
        good_s = res.good()
        lat = res.good_latencies()
        fivexx = sum(n for k, n in statuses.items() if k.isdigit() and int(k) >= 500)
        errors = sum(n for k, n in statuses.items() if not k.isdigit())
        failed_good = [s for s in good_s if s.status != 200]
        print(f"requests served: {len(res.samples)} in {res.wall:.0f} s ({len(res.samples) / res.wall:.2f}/s): "
              f"{len(good_s)} good, {len(res.samples) - len(good_s)} hostile")
        print("status counts:  " + ", ".join(f"{k}: {n}" for k, n in sorted(statuses.items())))
        by_kind: dict[str, Counter] = {}
        for s in res.samples:
            if s.kind != "good":
                by_kind.setdefault(s.kind, Counter())[str(s.status)] += 1
        unexpected = []
        for k in kinds:
            got = by_kind.get(k.name)
            if not got:
                continue
            allowed = {str(c) for c in k.expect.http} | ({"200"} if k.expect.read else set())
            wrong = {st: n for st, n in got.items() if st not in allowed}
            if wrong:
                unexpected.append(f"{k.name}: {wrong} (expected {sorted(allowed)})")
        slow_hostile = sorted(((s.seconds, s.kind) for s in res.samples if s.kind != "good"), reverse=True)[:5]
        print(f"hostile kinds sent: {len(by_kind)} of {len(kinds)}; answered otherwise than expected: {len(unexpected)}")
        for line in unexpected[:20]:
            print(f"    {line}")
        print("slowest hostile answers: " + ", ".join(f"{k} {t:.1f}s" for t, k in slow_hostile))
        print(f"5xx answers: {fivexx}, transport errors: {errors}        target 0            {verdict(fivexx == 0 and errors == 0)}")
        targets.append(("no 5xx", fivexx == 0 and errors == 0))
        print(f"failed good requests: {len(failed_good)}                  target 0            {verdict(not failed_good)}")
        targets.append(("no failed good request", not failed_good))
        p50, p95 = pct(lat, 50), pct(lat, 95)
        line = f"good uploads: p50 {p50:.2f} s, p95 {p95:.2f} s"
        if base_p95:
            ratio = p95 / base_p95
            ok = ratio <= TARGET_P95_RATIO
            print(f"{line}; good-only p95 {base_p95:.2f} s -> {ratio:.2f}x   target <= {TARGET_P95_RATIO}x   {verdict(ok)}")
            targets.append(("good p95 within 1.5x of good-only", ok))
        else:
            print(f"{line} (no baseline run)")
        health = mon.health
        hmax = max(health) if health else float("nan")
        ok = bool(health) and hmax < TARGET_HEALTH_S and not mon.health_errors
        print(f"/healthz while saturated: {len(health)} probes, p50 {pct(health, 50) * 1000:.0f} ms, "
              f"p95 {pct(health, 95) * 1000:.0f} ms, max {hmax * 1000:.0f} ms"
              f"{', errors ' + str(dict(mon.health_errors)) if mon.health_errors else ''}   target < 100 ms   {verdict(ok)}")
        targets.append(("/healthz < 100 ms", ok))

        print("\nRSS of the server processes over time (MB; main first, then workers by pid):")
        pids_seen: list[int] = []
        for _, sample in mon.rss:
            for pid in sample:
                if pid not in pids_seen:
                    pids_seen.append(pid)
        main_pid = server.proc.pid
        step = max(1, len(mon.rss) // 30)
        for t, sample in mon.rss[::step] + ([mon.rss[-1]] if mon.rss and (len(mon.rss) - 1) % step else []):
            workers = " ".join(f"{pid}:{mb(v)}" for pid, v in sample.items() if pid != main_pid)
            print(f"   t={t:6.0f}s  total {mb(sum(sample.values())):>5}  main {mb(sample.get(main_pid, 0)):>4}  {workers}")
        # After warm-up: the first sample once --warmup-share of the soak has passed (the first uploads of
        # each hostile kind grow the server once: buffers, arenas); growth from the soak's start is shown too.
        start_total = sum(warm_rss.values())
        later = [s for t, s in mon.rss if t >= args.warmup_share * args.minutes * 60]
        warm_rss = later[0] if later else warm_rss
        warm_total, end_total = sum(warm_rss.values()), sum(end_rss.values())
        peak = max((max(s.values(), default=0) for _, s in mon.rss), default=0)
        growth = (end_total - warm_total) / warm_total if warm_total else float("nan")
        main_growth = ((end_rss.get(main_pid, 0) - warm_rss.get(main_pid, 0)) / warm_rss[main_pid]
                       if warm_rss.get(main_pid) else float("nan"))
        ok = growth < TARGET_RSS_GROWTH and main_growth < TARGET_RSS_GROWTH
        print(f"RSS at the soak's start -> end: total {mb(start_total)} -> {mb(end_total)} MB "
              f"({(end_total - start_total) / start_total:+.1%})")
        print(f"RSS after warm-up ({args.warmup_share:.0%} of the soak) -> end: total {mb(warm_total)} -> {mb(end_total)} MB "
              f"({growth:+.1%}), main "
              f"{mb(warm_rss.get(main_pid, 0))} -> {mb(end_rss.get(main_pid, 0))} MB ({main_growth:+.1%}); "
              f"largest process {mb(peak)} MB; {len(pids_seen) - 1} worker pids seen   target < +10 %   {verdict(ok)}")
        targets.append(("RSS growth < 10 %", ok))
        if fivexx or errors:
            print("\nserver log (tail):\n" + server.log_tail())

        if args.throughput_seconds > 0:
            n = cores
            print(f"\n== throughput: good uploads only, {args.throughput_seconds:g} s each")
            pids = tree(main_pid)
            cpu0 = cpu_seconds(pids)
            one = run_load(server.base, args.throughput_seconds, 1, good, [], 0)
            cpu1 = cpu_seconds(tree(main_pid))
            one_ok = one.good_latencies()
            one_rate = len(one_ok) / one.wall
            cpu_per_review = (cpu1 - cpu0) / len(one_ok) if one_ok else float("nan")
            many = run_load(server.base, args.throughput_seconds, n, good, [], 0)
            many_rate = len(many.good_latencies()) / many.wall
            scaling = many_rate / one_rate if one_rate else float("nan")
            ok = many_rate >= TARGET_SCALING * n * one_rate
            print(f"1 client: {one_rate:.2f} reviews/s; {n} clients: {many_rate:.2f} reviews/s = {scaling:.2f}x one client"
                  f"   target >= {TARGET_SCALING * n:.1f}x   {verdict(ok)}")
            targets.append((f"{n} clients >= {TARGET_SCALING} x {n} x one-client rate", ok))
            ideal = 1 / cpu_per_review if cpu_per_review and cpu_per_review == cpu_per_review else float("nan")
            per_core = many_rate / n
            print(f"single-review CPU time {cpu_per_review:.2f} s (server and workers, 1-client run) -> at most "
                  f"{ideal:.2f} reviews/s per core; measured {per_core:.2f} reviews/s per core "
                  f"({per_core / ideal:.0%} of that)")
            failures = [s for s in one.samples + many.samples if s.status != 200]
            if failures:
                print(f"   not 200 in the throughput runs: {Counter(str(s.status) for s in failures)}")
    finally:
        server.stop()

    print("\ntargets: " + ", ".join(f"{name} {verdict(ok)}" for name, ok in targets))
    return 0 if all(ok for _, ok in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
