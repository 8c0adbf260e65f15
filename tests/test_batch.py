"""`clausecheck batch`: discovery, isolation of hostile files, resumable outputs, spreadsheet safety."""
from __future__ import annotations

import csv
import json
import os
import random
import time
from pathlib import Path

import pytest

from service.batch.discover import discover
from service.batch.outputs import safe_cell
from service.batch.runner import BatchOptions, run_batch
from service.cli import main

BASE = (Path(__file__).resolve().parents[1] / "fixtures" / "sample" / "base_contract.txt").read_text(encoding="utf-8")
CONTRACTS = {"a.txt", "b.txt", "sub/deep/c.txt", "=HYPERLINK(1).txt", "@SUM(A1).txt"}
BROKEN = {"empty.txt", "random.txt", "fake.docx"}


def hostile_review(data: bytes, name: str, profile: str = "auto"):
    """Stands in for the engine meeting a file that makes it hang or take the interpreter down."""
    if b"HANG" in data:
        time.sleep(3600)
    if b"CRASH" in data:
        os._exit(3)
    from service.pipeline import review_bytes

    return review_bytes(data, name, profile)


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "contracts"
    (root / "sub" / "deep").mkdir(parents=True)
    (root / ".hidden").mkdir()
    (root / "a.txt").write_text(BASE, encoding="utf-8")
    (root / "b.txt").write_text(BASE.replace("30日", "60日"), encoding="utf-8")
    (root / "sub" / "deep" / "c.txt").write_text(BASE.split("第三章")[0], encoding="utf-8")
    (root / "=HYPERLINK(1).txt").write_text(BASE.replace("海棠", "青松"), encoding="utf-8")
    (root / "@SUM(A1).txt").write_text(BASE.replace("海棠", "白杨"), encoding="utf-8")
    (root / "empty.txt").write_bytes(b"")
    rnd = random.Random(7)
    (root / "random.txt").write_bytes(bytes(rnd.randrange(256) for _ in range(4096)))
    (root / "fake.docx").write_bytes(b"PK\x03\x04" + bytes(rnd.randrange(256) for _ in range(4096)))
    (root / "scan.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))  # not a contract: skipped
    (root / ".hidden" / "secret.txt").write_text(BASE, encoding="utf-8")
    (root / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    return root


def run_cli(root: Path, out: Path, *extra: str) -> int:
    return main(["batch", str(root), "--out", str(out), "--workers", "2", "--quiet", *extra])


def read_jsonl(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def read_csv(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))


def test_batch_outputs_are_complete_and_consistent(folder: Path):
    out = folder / "_out"  # inside DIR on purpose: must not be reviewed itself
    assert run_cli(folder, out) == 0
    for name in ("results.jsonl", "summary.csv", "summary.xlsx", "report.html", "errors.csv"):
        assert (out / name).is_file(), name

    results = read_jsonl(out / "results.jsonl")
    assert {r["file"] for r in results} == CONTRACTS
    for r in results:
        assert r["schema"] == "clausecheck.review/v1"
        assert r["document"]["name"] == Path(r["file"]).name
        assert len(r["document"]["sha256"]) == 64
        counts = [r["summary"][k] for k in ("satisfied", "weak", "conflicting", "missing")]
        assert sum(counts) == len(r["findings"])

    errors = read_csv(out / "errors.csv")
    assert errors[0] == ["file", "code", "message"]
    assert {row[0] for row in errors[1:]} == BROKEN
    assert all(row[1] and row[2] for row in errors[1:])

    rows = read_csv(out / "summary.csv")
    header = rows[0]
    assert header[:7] == ["file", "profile", "verdict", "satisfied", "weak", "conflicting", "missing"]
    by_file = {row[0].removeprefix("'"): row for row in rows[1:]}
    assert set(by_file) == CONTRACTS
    for r in results:
        row = by_file[r["file"]]
        assert row[1] == r["profile"] and row[2] == r["summary"].get("verdict", "")
        assert [int(x) for x in row[3:7]] == [r["summary"][k] for k in ("satisfied", "weak", "conflicting", "missing")]
        for f in r["findings"]:
            assert row[header.index(f["requirement"])] == f["status"]

    from openpyxl import load_workbook

    wb = load_workbook(out / "summary.xlsx")
    assert wb.sheetnames == ["汇总", "明细", "读取失败", "说明"]
    ws = wb["汇总"]
    assert [c.value for c in ws[1]][:7] == ["文件", "审查模板", "结论", "满足", "薄弱", "冲突", "缺失"]
    assert ws.max_row == len(CONTRACTS) + 1
    xrows = {ws.cell(row=i, column=1).value.removeprefix("'"): [c.value for c in ws[i]] for i in range(2, ws.max_row + 1)}
    titles = [c.value for c in ws[1]]
    for r in results:
        xrow = xrows[r["file"]]
        assert xrow[1] == r["profile_title"] and xrow[3:7] == [r["summary"][k] for k in ("satisfied", "weak", "conflicting", "missing")]
        for f in r["findings"]:
            assert xrow[titles.index(f["title"])] == {"satisfied": "满足", "weak": "薄弱", "conflicting": "冲突",
                                                      "missing": "缺失"}[f["status"]]
    assert {row[0].value for row in wb["读取失败"].iter_rows(min_row=2)} == BROKEN
    assert wb["明细"].max_row == 1 + sum(len(r["findings"]) for r in results)

    html = (out / "report.html").read_text(encoding="utf-8")
    assert 'lang="zh-CN"' in html and "各项要求的满足情况" in html
    for n in range(1, len(CONTRACTS) + 1):
        assert f'href="#c-{n}"' in html and f'id="c-{n}"' in html
    # Self-contained: nothing fetched from anywhere.
    for needle in ("<script", "src=", "http://", "https://", "@import", "url("):
        assert needle not in html
    assert "=HYPERLINK(1).txt" in html and "fake.docx" in html


def test_formula_like_cells_are_neutralised(folder: Path):
    out = folder.parent / "out"
    assert run_cli(folder, out) == 0
    cells = [row[0] for row in read_csv(out / "summary.csv")[1:]]
    assert "'=HYPERLINK(1).txt" in cells and "'@SUM(A1).txt" in cells
    assert not any(c.startswith(("=", "+", "-", "@")) for c in cells)

    from openpyxl import load_workbook

    ws = load_workbook(out / "summary.xlsx")["汇总"]
    first = {ws.cell(row=i, column=1).value: ws.cell(row=i, column=1) for i in range(2, ws.max_row + 1)}
    assert "'=HYPERLINK(1).txt" in first and "'@SUM(A1).txt" in first
    assert all(cell.data_type == "s" for cell in first.values())  # text, never a formula

    for value in ("=1+1", "+1", "-1", "@x", "\tx", "\rx"):
        assert safe_cell(value) == "'" + value
    assert safe_cell("a=b") == "a=b" and safe_cell(3) == 3


def test_resume_reviews_only_new_or_changed_files(folder: Path):
    out = folder.parent / "out"
    assert run_cli(folder, out) == 0
    first = read_jsonl(out / "results.jsonl")
    first_failures = read_jsonl(out / "failures.jsonl")

    assert run_cli(folder, out) == 0
    assert read_jsonl(out / "results.jsonl") == first
    assert read_jsonl(out / "failures.jsonl") == first_failures

    (folder / "b.txt").write_text(BASE.replace("30日", "45日"), encoding="utf-8")
    (folder / "new.txt").write_text(BASE.replace("海棠", "红枫"), encoding="utf-8")
    (folder / "a.txt").unlink()
    assert run_cli(folder, out) == 0
    results = read_jsonl(out / "results.jsonl")
    assert results[: len(first)] == first  # earlier results are kept, never rewritten
    assert sorted(r["file"] for r in results[len(first):]) == ["b.txt", "new.txt"]
    # Summaries describe the folder as it is now.
    summary_files = {row[0].removeprefix("'") for row in read_csv(out / "summary.csv")[1:]}
    assert summary_files == (CONTRACTS - {"a.txt"}) | {"new.txt"}


def test_hanging_and_crashing_files_are_isolated(folder: Path, tmp_path: Path):
    (folder / "hang.txt").write_text(BASE + "\nHANG", encoding="utf-8")
    (folder / "crash.txt").write_text(BASE + "\nCRASH", encoding="utf-8")
    out = tmp_path / "out"
    started = time.monotonic()
    report = run_batch(BatchOptions(root=str(folder), out=str(out), workers=2, timeout=3,
                                    review_fn=f"{__name__}:hostile_review"))
    assert time.monotonic() - started < 60
    assert not report.interrupted
    assert {r["file"] for r in read_jsonl(out / "results.jsonl")} == CONTRACTS
    codes = {f["file"]: f["error"]["code"] for f in read_jsonl(out / "failures.jsonl")}
    assert codes["hang.txt"] == "timeout"
    assert codes["crash.txt"] == "worker-crashed"
    assert set(codes) == BROKEN | {"hang.txt", "crash.txt"}


def test_interrupt_keeps_valid_partial_outputs(folder: Path, tmp_path: Path, monkeypatch):
    import psutil

    from service.batch import progress

    calls = []

    def interrupt_after_first(self, rel, ok):
        calls.append(rel)
        raise KeyboardInterrupt  # as if Ctrl-C arrived while the workers were busy

    monkeypatch.setattr(progress.Silent, "finished_one", interrupt_after_first)
    out = tmp_path / "out"
    # processes that earlier tests in this session left alive (pools, clusters) are not ours to judge
    before = {p.pid for p in psutil.Process().children(recursive=True)}

    def ours():
        return [p for p in psutil.Process().children(recursive=True) if p.pid not in before]

    assert main(["batch", str(folder), "--out", str(out), "--workers", "1", "--quiet"]) == 130
    assert len(calls) == 1
    done = read_jsonl(out / "results.jsonl") + read_jsonl(out / "failures.jsonl")
    assert 1 <= len(done) < len(CONTRACTS | BROKEN)
    assert len(read_csv(out / "summary.csv")) >= 1 and (out / "report.html").is_file()
    deadline = time.monotonic() + 5
    while ours() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not ours(), "workers left running after Ctrl-C"

    monkeypatch.undo()
    assert run_cli(folder, out) == 0  # the rerun finishes the rest
    files = [r["file"] for r in read_jsonl(out / "results.jsonl")]
    assert sorted(files) == sorted(CONTRACTS)


def test_unusable_dir_exits_2(tmp_path: Path):
    assert main(["batch", str(tmp_path / "nope"), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    plain = tmp_path / "file.txt"
    plain.write_text("x", encoding="utf-8")
    assert main(["batch", str(plain), "--out", str(tmp_path / "o"), "--quiet"]) == 2
    assert main(["batch", str(tmp_path), "--profile", "no-such-profile", "--quiet"]) == 2


def test_discovery_skips_hidden_outputs_and_non_documents(folder: Path):
    out = folder / "_out"
    out.mkdir()
    (out / "results.jsonl").write_text("{}", encoding="utf-8")
    found = discover(folder, exclude=[out])
    rels = {c.rel for c in found.candidates}
    assert rels == CONTRACTS | BROKEN
    assert "scan.png" in found.skipped
    assert not any(r.startswith((".", "_out")) for r in rels)


def test_ctrl_c_stops_cleanly(tmp_path: Path):
    import signal
    import subprocess
    import sys

    import psutil

    root = tmp_path / "many"
    root.mkdir()
    for i in range(60):
        (root / f"c{i:02d}.txt").write_text(BASE.replace("海棠", f"第{i}号"), encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "batch", str(root), "--out", str(out),
                             "--workers", "1", "--quiet"], cwd=Path(__file__).resolve().parents[1],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not read_jsonl(out / "results.jsonl") and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = psutil.Process(proc.pid).children(recursive=True)
    assert workers, "batch finished before it could be interrupted"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err.decode("utf-8", "replace")
    gone, alive = psutil.wait_procs(workers, timeout=5)
    assert not alive
    done = read_jsonl(out / "results.jsonl")
    assert 1 <= len(done) < 60
    assert len(read_csv(out / "summary.csv")) == len(done) + 1


def test_log_cut_mid_line_is_tolerated(folder: Path, tmp_path: Path):
    out = tmp_path / "out"
    assert run_cli(folder, out) == 0
    log = out / "results.jsonl"
    lines = log.read_text(encoding="utf-8").splitlines()
    # As if the machine died while writing the last line of b.txt.
    cut = next(i for i, line in enumerate(lines) if json.loads(line)["file"] == "b.txt")
    kept = lines[:cut] + lines[cut + 1:]
    log.write_text("\n".join(kept) + "\n" + lines[cut][:40], encoding="utf-8")
    assert run_cli(folder, out) == 0
    text = log.read_text(encoding="utf-8").splitlines()
    assert text[len(kept)] == lines[cut][:40]  # the fragment stays alone on its line
    redone = [json.loads(line)["file"] for line in text[len(kept) + 1:]]
    assert redone == ["b.txt"]


def test_second_run_on_same_out_is_refused(folder: Path, tmp_path: Path):
    from service.batch.runner import _lock_out

    out = tmp_path / "out"
    out.mkdir()
    held = _lock_out(str(out))
    try:
        assert run_cli(folder, out) == 2
    finally:
        held.close()
    assert run_cli(folder, out) == 0
