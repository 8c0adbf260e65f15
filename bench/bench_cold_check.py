"""Benchmark: a fresh `clausecheck check` of a 60-page PDF against the floor of a fresh process that
only extracts the text with pypdfium2 and segments it with jieba. Not a test; run by hand:

    .venv/bin/python bench/bench_cold_check.py [--pages 60] [--repeat 3]

Prints both wall times (best of N fresh processes), their ratio (goal: within 1.5x), the floor again
with jieba's dictionary opened from the mapped trie clausecheck itself uses (so the saving from the
trie is not hidden in the ratio), and the time a fresh process spends loading the rule library.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench"), str(ROOT / "tests")]

FLOOR = """
import sys, jieba, pypdfium2 as pdfium
jieba.setLogLevel(60)
pdf = pdfium.PdfDocument(sys.argv[1])
text = []
for page in pdf:
    tp = page.get_textpage(); text.append(tp.get_text_range()); tp.close(); page.close()
words = jieba.lcut("".join(text))
print(len(words))
"""
# the same floor with jieba's dictionary opened from the mapped trie clausecheck uses (nlp/jieba_dict.py)
FLOOR_TRIE = FLOOR.replace("jieba.setLogLevel(60)", "jieba.setLogLevel(60)\nfrom nlp.jieba_dict import attach; attach(jieba.dt)")
LOAD = """
import time; t = time.perf_counter()
from clause_library.library import library; from clause_library.lexicon import lexicon
t1 = time.perf_counter(); library(); lexicon(); t2 = time.perf_counter()
print(f"imports {t1 - t:.3f} s, reading and validating the rule packs and the lexicon {t2 - t1:.3f} s")
"""


def best_of(cmd: list[str], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        best = min(best, time.perf_counter() - t)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=60)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    from bench_read_pdf import long_contract
    from fixturegen import pdflike
    from reportlab.lib.pagesizes import A4

    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        path = pdflike.make_text_pdf(Path(tmp) / "long.pdf", long_contract(args.pages), pagesize=A4, font_size=10.5)
        floor = best_of([py, "-c", FLOOR, str(path)], args.repeat)
        floor_trie = best_of([py, "-c", FLOOR_TRIE, str(path)], args.repeat)
        check = best_of([py, "-m", "service.cli", "check", str(path), "--format", "json"], args.repeat)
        load = subprocess.run([py, "-c", LOAD], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    print(f"fresh pypdfium2 + jieba (floor): {floor:.2f} s")
    print(f"fresh clausecheck check:         {check:.2f} s  ({check / floor:.2f}x the floor; goal <= 1.5x)")
    print(f"the floor with jieba's dictionary from the mapped trie: {floor_trie:.2f} s "
          f"(check is {check / floor_trie:.2f}x that: segmenting the whole text vs the runs the rules need)")
    print(f"rule library in a fresh process: {load}")


if __name__ == "__main__":
    main()
