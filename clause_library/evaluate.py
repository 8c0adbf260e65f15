"""Scores the checker on a labelled corpus (labels.md): accuracy, macro-F1, false reassurance,
false alarm, conflict recall, confusion matrix, per requirement."""
from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import yaml

STATUSES = ["satisfied", "weak", "conflicting", "missing"]

# Corpora the rule library was written beside: scores on them are development figures.
DEVELOPMENT_CORPORA = ("shared/corpus/dev", "shared/corpus/real", "fixtures/corpus", "tests/annotated")


def is_development_corpus(folder) -> bool:
    resolved = Path(folder).resolve().as_posix()
    return any(resolved.endswith(d) or f"{d}/" in resolved + "/" for d in DEVELOPMENT_CORPORA)


def labelled_files(folder: Path) -> list[tuple[Path, Path]]:
    pairs = []
    for lab in sorted(folder.rglob("*.labels.yaml")):
        doc = lab.with_name(lab.name[: -len(".labels.yaml")])
        if doc.exists():
            pairs.append((doc, lab))
    return pairs


def score(pairs: list[tuple[str, str, str, str]]) -> dict:
    """pairs: (document, requirement, label, predicted)."""
    n = len(pairs)
    confusion = {t: Counter() for t in STATUSES}
    for _, _, t, p in pairs:
        confusion[t][p] += 1
    correct = sum(confusion[s][s] for s in STATUSES)
    f1s = []
    for s in STATUSES:
        tp = confusion[s][s]
        fp = sum(confusion[t][s] for t in STATUSES if t != s)
        fn = sum(confusion[s][p] for p in STATUSES if p != s)
        if tp + fp + fn == 0:
            continue  # a status absent from both labels and predictions says nothing
        f1s.append(2 * tp / (2 * tp + fp + fn))
    not_ok = sum(sum(confusion[t].values()) for t in ("weak", "conflicting", "missing"))
    reassured = sum(confusion[t]["satisfied"] for t in ("weak", "conflicting", "missing"))
    sat = sum(confusion["satisfied"].values())
    alarms = confusion["satisfied"]["missing"] + confusion["satisfied"]["conflicting"]
    conf = sum(confusion["conflicting"].values())
    return {
        "pairs": n,
        "accuracy": correct / n if n else 0.0,
        "macro_f1": sum(f1s) / len(f1s) if f1s else 0.0,
        "false_reassurance": reassured / not_ok if not_ok else 0.0,
        "false_alarm": alarms / sat if sat else 0.0,
        "conflict_recall": confusion["conflicting"]["conflicting"] / conf if conf else None,
        "confusion": {t: dict(confusion[t]) for t in STATUSES},
    }


def evaluate(folder: Path, review_file) -> dict:
    """review_file(path, profile) -> review dict. Returns overall and per-requirement scores and
    every mismatch."""
    rows: list[tuple[str, str, str, str]] = []
    errors: list[dict] = []
    for doc, lab in labelled_files(folder):
        labels = yaml.safe_load(lab.read_text(encoding="utf-8"))
        try:
            review = review_file(str(doc), labels["profile"])
        except Exception as exc:  # one unreadable file is reported, not fatal
            errors.append({"document": doc.name, "error": str(exc)})
            continue
        predicted = {f["requirement"]: f["status"] for f in review["findings"]}
        for req, want in labels["labels"].items():
            rows.append((doc.name, req, want, predicted.get(req, "missing")))
    per_req = defaultdict(list)
    for r in rows:
        per_req[r[1]].append(r)
    return {
        "documents": len({r[0] for r in rows}),
        "overall": score(rows),
        "per_requirement": {k: score(v) for k, v in sorted(per_req.items())},
        "mismatches": [{"document": d, "requirement": q, "label": t, "predicted": p}
                       for d, q, t, p in rows if t != p],
        "errors": errors,
    }
