"""Development aid: greedy, per-rule ablation of `none:` veto alternatives. For each rule, each
alternative of each veto is removed in turn; the removal is kept when no verdict of that rule changes
on the labelled corpora, the rule's own examples, the annotated contracts and the CheckList cases.
Usage: python scripts/ablate_fast.py [--apply] [RULE_ID ...]. Development figures only."""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from clause_library.engine import DocContext, judge  # noqa: E402
from clause_library.evaluate import labelled_files  # noqa: E402
from clause_library.library import library  # noqa: E402
from nlp import read_document  # noqa: E402
from nlp.document import assemble  # noqa: E402
from nlp.model import Block, RawDocument  # noqa: E402

RULES = ROOT / "clause_library" / "rules"
CORPORA = [ROOT.parent / "shared" / "corpus" / "real", ROOT.parent / "shared" / "corpus" / "dev", ROOT / "fixtures" / "corpus"]


def text_doc(text: str):
    return assemble(RawDocument("txt", [Block(x) for x in text.split("\n") if x.strip()]), "t.txt", "0" * 64)


def contexts() -> list[DocContext]:
    out = []
    for folder in CORPORA:
        for d, _ in labelled_files(folder):
            out.append(DocContext(read_document(d.read_bytes(), d.name)))
    import test_annotated
    import test_checklist

    for p in test_annotated.files():
        out.append(DocContext(text_doc("\n".join(test_annotated.annotated(p.name).lines))))
    for c in test_checklist.CASES:
        out.append(DocContext(text_doc(c.pre + c.text)))
    return out


def example_contexts(rid: str) -> list[DocContext]:
    from test_rules import ARCHIVES_ONLY, ARCHIVES_PREAMBLE, PREAMBLE

    rule = library().rules[rid]
    pre = ARCHIVES_PREAMBLE if rid in ARCHIVES_ONLY else PREAMBLE
    texts = [t for ts in rule.examples.model_dump().values() for t in ts] + [rule.suggestion]
    return [DocContext(text_doc(("" if re.match(r"^[甲乙丙]方[（(：:]", t) else pre) + t)) for t in texts]


def top_level(alternation: str) -> list[str]:
    """Split a regex on its top-level `|` only (never inside (...), [...] or {...})."""
    parts, depth, cur, i, in_class = [], 0, "", 0, False
    while i < len(alternation):
        ch = alternation[i]
        if ch == "\\":
            cur += alternation[i:i + 2]
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
        if ch == "|" and depth == 0 and not in_class:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
        i += 1
    parts.append(cur)
    return parts


def statuses(rid: str, ctxs: list[DocContext]) -> list[str]:
    rule = library().rules[rid]
    return [judge(c, rule)["status"] for c in ctxs]


def main() -> None:
    apply = "--apply" in sys.argv
    only = [a for a in sys.argv[1:] if not a.startswith("--")]
    base_ctx = contexts()
    removed = kept = 0
    for path in sorted(RULES.glob("*.yaml")):
        rid = path.stem
        if only and rid not in only:
            continue
        ctxs = base_ctx + example_contexts(rid)
        base = statuses(rid, ctxs)
        i = 0
        while True:
            text = path.read_text(encoding="utf-8")
            lines = [ln for ln in text.splitlines() if ln.strip().startswith("none: ['")]
            # walk (line, alternative) pairs in a stable order; restart after each change
            pairs = [(ln, a) for ln in lines for a in top_level(re.findall(r"none: \['(.*)'\]", ln)[0])]
            if i >= len(pairs):
                break
            line, alt = pairs[i]
            alts = top_level(re.findall(r"none: \['(.*)'\]", line)[0])
            rest = [a for a in alts if a != alt]
            new_line = line.replace(f"['{'|'.join(alts)}']", f"['{'|'.join(rest)}']") if rest else None
            trial = text.replace(line + "\n", (new_line + "\n") if new_line else "", 1)
            path.write_text(trial, encoding="utf-8")
            library.cache_clear()
            try:
                same = statuses(rid, ctxs) == base
            except Exception:
                same = False
            if same and apply:
                removed += 1
                print(f"removed {rid}: {alt}")
                continue  # the list shrank: same index now points at the next alternative
            path.write_text(text, encoding="utf-8")
            library.cache_clear()
            if same:
                removed += 1
                print(f"redundant {rid}: {alt}")
            else:
                kept += 1
            i += 1
    print(f"{removed} redundant, {kept} deciding")


if __name__ == "__main__":
    main()
