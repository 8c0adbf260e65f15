"""Batch throughput benchmark (not a test).

Generates N contracts of 10-60 pages (.txt, .docx via python-docx, .pdf via reportlab with a CJK
font when one is installed, plus a few broken files), then reports:
  - contracts/minute with 1 and 2 local workers, and each worker's peak memory;
  - the time to resume a finished batch (nothing left to review);
  - the overhead of a 2-worker Dask LocalCluster against the 2-worker local pool.

    .venv/bin/python bench/bench_batch.py            # N=500 (long: minutes per configuration)
    .venv/bin/python bench/bench_batch.py --n 40     # a quick look

Generated corpora are cached under --cache (default /tmp/clausecheck-bench) by N and seed.
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BASE = (ROOT / "fixtures" / "sample" / "base_contract.txt").read_text(encoding="utf-8")
CJK_FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
CHARS_PER_PAGE = 900  # a contract page in 小四 with generous margins
LINE_CHARS = 34
FILLER = [
    "乙方应按照服务水平协议的约定提供云主机、云存储、云数据库等服务，并保证服务可用性不低于百分之九十九点九。",
    "双方应指定项目联系人，负责日常沟通协调，联系人变更的，应提前五个工作日书面通知对方。",
    "服务费用按季度结算，甲方在收到乙方合法有效发票后三十日内支付当期费用。",
    "乙方应建立健全运维管理制度，对运维操作进行审计记录，审计日志保存期限不少于六个月。",
    "因不可抗力导致一方不能履行本协议的，应及时通知对方，并在合理期限内提供相关证明。",
    "本协议未尽事宜，由各方协商一致后签订补充协议，补充协议与本协议具有同等法律效力。",
    "乙方应为甲方提供必要的技术培训和咨询服务，协助甲方完成业务系统的迁移上云工作。",
    "云平台的计算、存储、网络资源应按照甲方的业务需要弹性扩展，扩容申请应在两个工作日内完成。",
]


def contract_text(rng: random.Random, pages: int, i: int) -> str:
    head = BASE.replace("海棠", rng.choice(["青松", "白杨", "红枫", "翠柳", "银杏"]) + str(i))
    body = [head]
    size = len(head)
    n = 1
    while size < pages * CHARS_PER_PAGE:
        para = f"第{n}条之补充 " + "".join(rng.choice(FILLER) for _ in range(rng.randint(2, 5)))
        body.append(para)
        size += len(para)
        n += 1
    return "\n".join(body)


def write_docx(path: Path, text: str) -> None:
    from docx import Document

    doc = Document()
    for para in text.split("\n"):
        doc.add_paragraph(para)
    doc.save(str(path))


def write_pdf(path: Path, text: str) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    if "CJK" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("CJK", CJK_FONT, subfontIndex=0))
    c = canvas.Canvas(str(path), pagesize=A4)
    width, height = A4
    y = height - 60
    for para in text.split("\n"):
        chunks = [para[k:k + LINE_CHARS] for k in range(0, len(para), LINE_CHARS)] or [""]
        for line in chunks:
            if y < 60:
                c.showPage()
                y = height - 60
            c.setFont("CJK", 12)
            c.drawString(60, y, line)
            y -= 18
        y -= 6
    c.save()


def make_one(args: tuple[str, int, int]) -> str:
    folder, i, seed = args
    rng = random.Random(seed * 100003 + i)
    out = Path(folder)
    roll = rng.random()
    if roll < 0.02:  # broken: empty, garbage renamed .docx, truncated PDF
        kind = rng.choice(["empty", "garbage", "truncated"])
        if kind == "empty":
            (out / f"broken{i:04d}.txt").write_bytes(b"")
        elif kind == "garbage":
            (out / f"broken{i:04d}.docx").write_bytes(os.urandom(20000))
        else:
            (out / f"broken{i:04d}.pdf").write_bytes(b"%PDF-1.4\n" + os.urandom(5000))
        return "broken"
    pages = rng.randint(10, 60)
    text = contract_text(rng, pages, i)
    sub = out / f"dept{i % 7}"
    sub.mkdir(exist_ok=True)
    fmt = "txt" if roll < 0.4 else "docx" if roll < 0.7 or not os.path.exists(CJK_FONT) else "pdf"
    path = sub / f"contract{i:04d}.{fmt}"
    if fmt == "txt":
        path.write_text(text, encoding="utf-8")
    elif fmt == "docx":
        write_docx(path, text)
    else:
        write_pdf(path, text)
    return fmt


def corpus(n: int, seed: int, cache: Path) -> Path:
    folder = cache / f"n{n}-s{seed}"
    done = folder / ".complete"
    if done.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    t = time.perf_counter()
    with ProcessPoolExecutor() as ex:
        kinds = list(ex.map(make_one, [(str(folder), i, seed) for i in range(n)], chunksize=4))
    done.write_text("")
    counts = {k: kinds.count(k) for k in sorted(set(kinds))}
    print(f"generated {n} files in {time.perf_counter() - t:.0f}s: {counts}")
    return folder


def run(folder: Path, out: Path, **kw):
    from service.batch.runner import BatchOptions, run_batch

    return run_batch(BatchOptions(root=str(folder), out=str(out), **kw))


def line(label: str, report) -> None:
    rate = report.reviewed / report.seconds * 60 if report.seconds else 0
    peaks = ", ".join(f"{kb / 1024:.0f} MB" for kb in sorted(report.peak_rss_kb.values())) or "—"
    print(f"{label:<28} {report.reviewed:>5} reviewed ({report.failed} failed) in {report.seconds:7.1f}s"
          f" = {rate:7.1f} contracts/min; per-worker peak RSS: {peaks}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--cache", default=os.path.join(tempfile.gettempdir(), "clausecheck-bench"))
    ap.add_argument("--skip-dask", action="store_true")
    args = ap.parse_args()

    folder = corpus(args.n, args.seed, Path(args.cache))
    mb = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6
    print(f"corpus: {folder} ({args.n} files, {mb:.0f} MB); CPUs: {os.cpu_count()}")
    with tempfile.TemporaryDirectory() as tmp:
        results = {}
        for workers in (1, 2):
            results[workers] = run(folder, Path(tmp) / f"local{workers}", workers=workers)
            line(f"local pool, {workers} worker(s)", results[workers])
        again = run(folder, Path(tmp) / "local2", workers=2)
        print(f"{'resume of a finished batch':<28} {again.reviewed:>5} reviewed, {again.reused} reused "
              f"in {again.seconds:7.2f}s")
        if not args.skip_dask:
            t = time.perf_counter()
            dask = run(folder, Path(tmp) / "dask2", workers=2, scheduler="local")
            line("Dask LocalCluster, 2 workers", dask)
            overhead = dask.seconds - results[2].seconds
            print(f"{'Dask overhead vs local pool':<28} {overhead:+.1f}s "
                  f"({overhead / results[2].seconds * 100:+.0f}%), cluster start/stop included "
                  f"(wall {time.perf_counter() - t:.1f}s)")


if __name__ == "__main__":
    main()
