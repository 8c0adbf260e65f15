"""Benchmark: reading a ~60-page contract .docx. Not a test; run by hand:

    .venv/bin/python bench/bench_read_docx.py [--pages 60] [--repeat 5]

The base contract's chapters are repeated (articles number on through Word numbering) until the text
is about `pages` A4 pages at 800 characters a page. Prints the median time of our .docx reader alone,
of normalising its blocks, and of the whole nlp.read_document (parse + normalise + structure +
sentences + parties + definitions), then the peak memory of read_document (tracemalloc, Python heap)
and the process's maximum resident size, with how much it grew while reading.
"""
from __future__ import annotations

import argparse
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fixturegen import wordlike  # noqa: E402

import nlp  # noqa: E402
from nlp.normalize import normalize  # noqa: E402
from nlp.readers import docx as docx_reader  # noqa: E402

CHARS_PER_PAGE = 800


def timed(fn, repeat: int) -> tuple[tuple[float, float], object]:
    """Median wall and CPU seconds; CPU time stays honest when other work shares the machine."""
    wall, cpu, result = [], [], None
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        result = fn()
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    return (statistics.median(wall), statistics.median(cpu)), result


def ms(t: tuple[float, float]) -> str:
    return f"{t[0] * 1000:8.1f} ms wall {t[1] * 1000:8.1f} ms CPU"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        one = wordlike.contract_docx(Path(tmp) / "one.docx")
        chars_per_copy = sum(len(b.text) for b in docx_reader.read(one.read_bytes()).blocks)
        copies = max(1, round(args.pages * CHARS_PER_PAGE / chars_per_copy))
        data = wordlike.contract_docx(Path(tmp) / "long.docx", repeat=copies).read_bytes()

    import docx  # noqa: F401  (loaded before the baseline, so the delta is the document's own cost)

    rss_before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t_docx, raw = timed(lambda: docx_reader.read(data), args.repeat)
    chars = sum(len(b.text) + len(b.label or "") for b in raw.blocks)
    t_norm, _ = timed(lambda: [normalize(b.text) for b in raw.blocks], args.repeat)
    normalize("预热")  # the converter loads once per process; leave that out of the median
    t_all, doc = timed(lambda: nlp.read_document(data, "long.docx"), args.repeat)

    tracemalloc.start()
    nlp.read_document(data, "long.docx")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    print(f"document: {len(data) / 1024:.0f} KB .docx, {len(raw.blocks)} blocks, {chars} characters "
          f"(~{chars / CHARS_PER_PAGE:.0f} pages), {len(doc.sections)} sections, {len(doc.sentences)} sentences")
    print(f"docx reader alone      {ms(t_docx)}")
    print(f"normalise blocks       {ms(t_norm)}")
    print(f"nlp.read_document      {ms(t_all)}   (medians of {args.repeat})")
    print(f"peak Python heap       {peak / 2**20:8.1f} MB   (tracemalloc, read_document; lxml's C heap not seen)")
    print(f"max resident size      {rss_kb / 1024:8.1f} MB   (whole process; +{(rss_kb - rss_before_kb) / 1024:.1f} MB "
          "while reading)")


if __name__ == "__main__":
    main()
