"""Every input scripts/fuzz.py ever found to crash a reader, replayed: it must now be read or refused with
a DocumentError, within the fuzzer's time and memory bounds (each in a forked child, as the fuzzer ran
it). Crash files live in fixtures/fuzz-crashes/<target>-<hash>.bin, each with its <hash>.txt
traceback; a .bin without its .txt (or the reverse) fails too, so that the folder stays readable."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CRASHES = ROOT / "fixtures" / "fuzz-crashes"
TARGETS = ("docx", "pdf", "ofd", "txt", "md", "html", "structure")


def _fuzz_module():
    import sys

    if "clausecheck_fuzz" in sys.modules:
        return sys.modules["clausecheck_fuzz"]
    spec = importlib.util.spec_from_file_location("clausecheck_fuzz", ROOT / "scripts" / "fuzz.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["clausecheck_fuzz"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


CASES = sorted(CRASHES.glob("*.bin")) if CRASHES.is_dir() else []


def test_crash_folder_is_consistent():
    if not CRASHES.is_dir():
        return
    files = sorted(p for p in CRASHES.iterdir() if not p.name.startswith(".") and p.name != "README.md")
    stray = [p.name for p in files if p.suffix not in (".bin", ".txt")]
    assert not stray, f"unexpected files in {CRASHES}: {stray}"
    for p in files:
        target = p.name.split("-", 1)[0]
        assert target in TARGETS, f"{p.name}: name must start with a fuzz target ({', '.join(TARGETS)})"
        twin = p.with_suffix(".txt" if p.suffix == ".bin" else ".bin")
        assert twin.exists(), f"{p.name} has no {twin.name}"
        if p.suffix == ".txt":
            text = p.read_text("utf-8")
            assert "class:" in text and "signature:" in text, f"{p.name} does not record the crash"
        else:
            assert p.stat().st_size <= 256 * 1024, f"{p.name}: crash inputs kept here must stay small"


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_fuzz_crash_is_fixed(path: Path):
    fuzz = _fuzz_module()
    out = fuzz.replay(path, per_input=10.0, memory_mb=1024)
    assert out.status in ("ok", "refused"), f"{path.name} still crashes: {out.cls}\n{out.detail[-3000:]}"
