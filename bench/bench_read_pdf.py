"""Benchmark: reading a 60-page contract PDF. Not a test; run by hand:

    .venv/bin/python bench/bench_read_pdf.py [--pages 60] [--repeat 5]

Prints pypdfium2's raw text extraction time (the floor), our PDF reader alone, the whole
nlp.read_document (parse + normalise + structure + sentences + parties + definitions), the ratio of
each to the raw extraction, and peak memory.
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fixturegen import pdflike  # noqa: E402

import nlp  # noqa: E402
from nlp.readers import pdf as pdf_reader  # noqa: E402

_CN = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    if n < 10:
        return _CN[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _CN[tens]) + "十" + (_CN[ones] if ones else "") if n < 100 else str(n)


def long_contract(pages: int) -> list[str]:
    """The sample's articles repeated and renumbered, with longer paragraphs, until about `pages` A4 pages."""
    base = pdflike.contract_paragraphs()
    head, body = base[:4], [p for p in base[4:] if not p.startswith(("第", "附件", "服务项目", "云主机", "对象存储"))]
    out = list(head)
    article = 0
    # ~1,400 characters fit on an A4 page at 10.5 pt with these margins.
    while sum(len(p) for p in out) < pages * 1400:
        article += 1
        if article % 8 == 1:
            out.append(f"第{cn_number(article // 8 + 1)}章 服务与安全要求")
        out.append(f"第{cn_number(article)}条 服务与安全要求")
        for k, p in enumerate(body[(article % len(body)):] + body[:(article % len(body))], start=1):
            text = p.split(" ", 1)[-1] if p[:1].isdigit() else p
            out.append(f"{k}. {text}" + "乙方应当在30日内书面报告履行情况，并接受甲方和丙方的监督检查。" * (k % 2))
            if k == 3:
                break
    return out


def timed(fn, repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t)
    return best, result


def raw_extract(data: bytes) -> int:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(data)
    n = 0
    for page in pdf:
        tp = page.get_textpage()
        n += len(tp.get_text_range())
        tp.close()
        page.close()
    pdf.close()
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    from reportlab.lib.pagesizes import A4

    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        paragraphs = long_contract(args.pages)
        path = pdflike.make_text_pdf(Path(tmp) / "long.pdf", paragraphs, pagesize=A4, font_size=10.5)
        gen = time.perf_counter() - t
        data = path.read_bytes()

    raw_t, chars = timed(lambda: raw_extract(data), args.repeat)
    reader_t, raw = timed(lambda: pdf_reader.read(data), args.repeat)
    doc_t, doc = timed(lambda: nlp.read_document(data, "long.pdf"), args.repeat)

    tracemalloc.start()
    nlp.read_document(data, "long.pdf")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(f"fixture: {doc.pages} pages, {len(data) / 1024:.0f} KiB, {chars} raw chars, generated in {gen:.2f} s")
    print(f"document: {len(doc.text)} chars, {len(doc.paragraphs)} paragraphs, {len(doc.sections)} sections, "
          f"{len(doc.sentences)} sentences")
    from nlp.normalize import normalize

    want = [normalize(p) for p in paragraphs]
    same = sum(a == b for a, b in zip(want, (p.text for p in doc.paragraphs)))
    print(f"paragraphs rebuilt exactly: {same}/{len(want)} (output has {len(doc.paragraphs)})")
    print(f"best of {args.repeat}:")
    print(f"  pypdfium2 raw extraction   {raw_t * 1000:8.1f} ms   1.0x")
    print(f"  nlp.readers.pdf.read       {reader_t * 1000:8.1f} ms   {reader_t / raw_t:.1f}x")
    print(f"  nlp.read_document (full)   {doc_t * 1000:8.1f} ms   {doc_t / raw_t:.1f}x")
    print(f"peak Python allocations during read_document: {peak / 2**20:.1f} MiB (tracemalloc; pdfium's own "
          f"memory not included)")
    print(f"process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
