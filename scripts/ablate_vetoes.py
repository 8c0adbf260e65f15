"""Development aid: which `none:` vetoes still decide anything? Removes each candidate veto
alternative in turn and reports those whose removal changes no verdict on the labelled corpora, the
rules' own examples, the annotated contracts or the CheckList cases. Usage:
    python scripts/ablate_vetoes.py [--apply] [WORD ...]
With --apply, the redundant alternatives are deleted from the rule files. Figures are development
figures: every corpus here was read while writing the rules."""
from __future__ import annotations

import re
import sys
from functools import lru_cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from clause_library.library import library as library_fn  # noqa: E402
from clause_library.engine import review  # noqa: E402
from clause_library.evaluate import labelled_files  # noqa: E402
from nlp import read_document  # noqa: E402

RULES = ROOT / "clause_library" / "rules"
CORPORA = [ROOT.parent / "shared" / "corpus" / "real", ROOT.parent / "shared" / "corpus" / "dev", ROOT / "fixtures" / "corpus"]


@lru_cache(maxsize=None)
def doc(path: str):
    return read_document(Path(path).read_bytes(), Path(path).name)


def verdicts() -> tuple:
    out = []
    for folder in CORPORA:
        for d, lab in labelled_files(folder):
            prof = yaml.safe_load(lab.read_text(encoding="utf-8"))["profile"]
            out += [(d.name, f["requirement"], f["status"]) for f in review(doc(str(d)), prof)["findings"]]
    from test_rules import _cases, judge_text

    for p in _cases():
        rid, status, text = p.values
        out.append((rid, text[:20], judge_text(rid, text)["status"]))
    return tuple(out)


def reload() -> None:
    library_fn.cache_clear()
    from clause_library import engine

    engine._compile.cache_clear()


def whole_lists(apply: bool) -> None:
    """Tries each signal without its `none:` line at all."""
    base = verdicts()
    for path in sorted(RULES.glob("*.yaml")):
        for line in [ln for ln in path.read_text(encoding="utf-8").splitlines() if ln.strip().startswith("none:")]:
            original = path.read_text(encoding="utf-8")
            path.write_text(original.replace(line + "\n", "", 1), encoding="utf-8")
            reload()
            same = verdicts() == base
            if not (same and apply):
                path.write_text(original, encoding="utf-8")
            reload()
            print(f"{'redundant' if same else 'decides  '} {path.stem}: {line.strip()[:70]}")


def main() -> None:
    apply = "--apply" in sys.argv
    if "--lists" in sys.argv:
        return whole_lists(apply)
    words = [a for a in sys.argv[1:] if a != "--apply"] or ["不得", "禁止", "严禁", "不会", "未经"]
    base = verdicts()
    redundant = []
    for path in sorted(RULES.glob("*.yaml")):
        original = path.read_text(encoding="utf-8")
        for line in [ln for ln in original.splitlines() if ln.strip().startswith("none:")]:
            for w in words:
                alts = re.findall(r"'(.*)'", line)
                if not alts or w not in alts[0].split("|"):
                    continue
                kept = "|".join(a for a in alts[0].split("|") if a != w)
                trial = original.replace(line, line.replace(f"'{alts[0]}'", f"'{kept}'"), 1)
                path.write_text(trial, encoding="utf-8")
                reload()
                same = verdicts() == base
                path.write_text(original, encoding="utf-8")
                reload()
                print(f"{'redundant' if same else 'decides  '} {path.stem}: {w}")
                if same:
                    redundant.append((path, line, w))
    if apply:
        for path, line, w in redundant:
            text = path.read_text(encoding="utf-8")
            alts = re.findall(r"'(.*)'", line)[0]
            kept = "|".join(a for a in alts.split("|") if a != w)
            new_line = line.replace(f"'{alts}'", f"'{kept}'") if kept else None
            text = text.replace(line + "\n", (new_line + "\n") if new_line else "", 1)
            path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
