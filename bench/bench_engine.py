"""Judging speed: the engine on a generated 60-page contract after loading, cold start of
`clausecheck check`, and how cost grows with length (1x, 4x, 16x). Prints figures; not a test.

    .venv/bin/python bench/bench_engine.py
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from clause_library import review  # noqa: E402
from clause_library.library import library  # noqa: E402
from nlp.document import read_document  # noqa: E402

PAGE_CHARS = 1000  # a dense contract page


def contract(pages: int) -> str:
    base = (ROOT / "fixtures" / "sample" / "base_contract.txt").read_text(encoding="utf-8")
    head, body = base.split("第一章", 1)
    out, n = [head], 0
    while sum(len(x) for x in out) < pages * PAGE_CHARS:
        n += 1
        out.append(f"第{n}部分\n" + ("第一章" + body).replace("第一条", f"第{n}01条"))
    return "\n".join(out)


def timed(fn, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    library()  # loading is not judging
    print("judging time after loading (one core, best of 3)")
    base = None
    for mult in (1, 4, 16):
        text = contract(60 * mult)
        doc = read_document(text.encode("utf-8"), "bench.txt")
        t = timed(lambda: review(doc, "archives-gov-cloud"))
        base = base or t
        print(f"  {60 * mult:5d} pages ({len(text):7d} chars, {len(doc.sentences):6d} sentences): "
              f"{t:6.3f} s  ({t / base:4.1f}x the 60-page time)")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "c.txt"
        path.write_text(contract(60), encoding="utf-8")
        exe = str(ROOT / ".venv" / "bin" / "clausecheck")
        t = timed(lambda: subprocess.run([exe, "check", str(path), "--format", "json"], capture_output=True), repeat=3)
        print(f"cold start of `clausecheck check` on the 60-page contract: {t:.2f} s")


if __name__ == "__main__":
    main()
