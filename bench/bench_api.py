"""Loopback load on `clausecheck serve`: one generated multi-page Chinese PDF posted to /v1/reviews by
1, 4 and 16 concurrent clients. Prints latency percentiles, throughput, errors and the server's
memory (server plus worker processes) before and after each level. Not a test.

    .venv/bin/python bench/bench_api.py [--requests 200] [--levels 1,4,16] [--pages 30] [--workers N]
"""
from __future__ import annotations

import argparse
import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "fixtures" / "sample" / "base_contract.txt"
FONTS = ["/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
         "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"]


WRAP, ROWS = 38, 39  # characters per printed row, rows per A4 page at 11 pt


def contract_lines(pages: int) -> list[str]:
    base = [line for line in SAMPLE.read_text("utf-8").splitlines() if line.strip()]
    filler = ["第{n}条 服务要求", "{n}.1 乙方应按照附件约定的服务等级向甲方提供云主机、存储和网络服务，并按月提交服务报告。",
              "{n}.2 乙方应对运维人员进行背景审查和保密教育，运维操作应全程记录并保存不少于六个月。",
              "{n}.3 双方应按照本协议约定履行各自义务，任何一方违约的，应承担相应的违约责任。"]
    lines = list(base)
    n = 100
    while sum(-(-len(line) // WRAP) for line in lines) < pages * ROWS:
        lines += [f.format(n=n) for f in filler]
        n += 1
    return lines


def make_pdf(pages: int) -> tuple[bytes, str]:
    """A PDF of about `pages` pages; falls back to a long .txt when reportlab or a CJK font is missing."""
    lines = contract_lines(pages)
    font = next((f for f in FONTS if Path(f).exists()), None)
    try:
        from reportlab.lib.pagesizes import A4
        from reportlab.pdfbase import pdfmetrics
        from reportlab.pdfbase.ttfonts import TTFont
        from reportlab.pdfgen import canvas
    except ImportError:
        font = None
    if font is None:
        print("reportlab or a CJK font is missing: using a long .txt instead", file=sys.stderr)
        return "\n".join(lines).encode("utf-8"), "bench_contract.txt"
    pdfmetrics.registerFont(TTFont("CJK", font, subfontIndex=0))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    width, height = A4
    y = height - 60
    for line in lines:
        for k in range(0, len(line), WRAP):  # wrap long clauses at the right margin
            if y < 60:
                c.showPage()
                y = height - 60
            c.setFont("CJK", 11)
            c.drawString(56, y, line[k:k + WRAP])
            y -= 19
    c.save()
    return buf.getvalue(), "bench_contract.pdf"


def rss_kb(root_pid: int) -> int:
    """Resident memory of a process and all its descendants (the worker processes), in KB."""
    from bench_soak import rss_of, tree

    return sum(rss_of(pid) for pid in tree(root_pid)) // 1024


def start_server(workers: int | None, queue: int) -> tuple[subprocess.Popen, str, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    tmp = tempfile.mkdtemp(prefix="clausecheck-bench-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUSECHECK_") and k != "DATABASE_URL"}
    env.update(CLAUSECHECK_QUEUE=str(queue), PYTHONPATH=str(ROOT))
    if workers:
        env["CLAUSECHECK_WORKERS"] = str(workers)
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port), "--db",
                             f"{tmp}/bench.sqlite3"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                return proc, base, tmp
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("server did not start")


def run_level(base: str, data: bytes, name: str, clients: int, requests: int) -> dict:
    latencies: list[float] = []
    errors: dict[str, int] = {}
    lock = threading.Lock()
    remaining = [requests]

    def client():
        with httpx.Client(timeout=300) as http:
            while True:
                with lock:
                    if remaining[0] == 0:
                        return
                    remaining[0] -= 1
                t0 = time.perf_counter()
                try:
                    r = http.post(base + "/v1/reviews", files={"file": (name, data)})
                    key = None if r.status_code == 200 else str(r.status_code)
                except httpx.HTTPError as exc:
                    key = type(exc).__name__
                dt = time.perf_counter() - t0
                with lock:
                    if key is None:
                        latencies.append(dt)
                    else:
                        errors[key] = errors.get(key, 0) + 1

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    q = statistics.quantiles(latencies, n=100, method="inclusive") if len(latencies) > 1 else latencies * 99
    return {"clients": clients, "ok": len(latencies), "errors": errors, "wall": wall,
            "p50": q[49] if q else 0, "p95": q[94] if q else 0, "p99": q[98] if q else 0,
            "throughput": len(latencies) / wall if wall else 0}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=200, help="requests per concurrency level")
    ap.add_argument("--levels", default="1,4,16", help="concurrent clients, comma-separated")
    ap.add_argument("--pages", type=int, default=30)
    ap.add_argument("--workers", type=int, help="server worker processes (default: the server's own)")
    ap.add_argument("--queue", type=int, default=32, help="server queue size (CLAUSECHECK_QUEUE)")
    args = ap.parse_args()
    data, name = make_pdf(args.pages)
    print(f"document: {name}, {len(data) / 1024:.0f} KiB, ~{args.pages} pages; {args.requests} requests per level")
    proc, base, tmp = start_server(args.workers, args.queue)
    try:
        warm = httpx.post(base + "/v1/reviews", files={"file": (name, data)}, timeout=300)
        if warm.status_code != 200:
            print(f"warm-up request failed: {warm.status_code} {warm.text[:300]}", file=sys.stderr)
            return 1
        doc = warm.json()["document"]
        print(f"server reads it as {doc['format']}, {doc.get('pages')} pages, {doc['characters']} characters")
        print(f"{'clients':>7} {'ok':>5} {'errors':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>7} "
              f"{'RSS before':>11} {'RSS after':>10}")
        for clients in [int(x) for x in args.levels.split(",") if x.strip()]:
            before = rss_kb(proc.pid)
            res = run_level(base, data, name, clients, args.requests)
            after = rss_kb(proc.pid)
            errs = sum(res["errors"].values())
            print(f"{clients:>7} {res['ok']:>5} {errs:>8} {res['p50'] * 1000:>8.0f} {res['p95'] * 1000:>8.0f} "
                  f"{res['p99'] * 1000:>8.0f} {res['throughput']:>7.2f} {before / 1024:>9.0f}MB {after / 1024:>8.0f}MB"
                  + (f"  {res['errors']}" if errs else ""))
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
