"""`clausecheck check | parse | profiles | rules | eval | diff`."""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
DEFAULT_REVIEW_FN = "service.pipeline:review_bytes"


def _default_timeout() -> float:
    raw = os.environ.get("CLAUSECHECK_REVIEW_TIMEOUT", "").strip()
    try:
        return float(raw) if raw else 120.0
    except ValueError:
        return 120.0


DEFAULT_TIMEOUT = _default_timeout()


def _add_timeout(p) -> None:
    p.add_argument("--timeout", type=float, default=None, metavar="S",
                   help=f"每个文件的审查时限（秒，默认 {DEFAULT_TIMEOUT:g}，或 CLAUSECHECK_REVIEW_TIMEOUT） / "
                        "per-file time limit in seconds")


def register(sub) -> None:
    p = sub.add_parser("check", help="审查合同 / review contracts")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--profile", default="auto", help="审查模板 id，或 auto（默认）")
    p.add_argument("--format", default="table", choices=["table", "json", "md", "html", "docx"])
    p.add_argument("--output", "-o", help="写入文件而非标准输出")
    p.add_argument("--redline", action="store_true",
                   help="与 --format docx 合用（输入为 .docx）：把建议措辞作为修订插入原稿 / "
                        "insert suggested wording as tracked changes")
    _add_timeout(p)
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("parse", help="显示文件解析结果 / show what the reader made of a file")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--format", default="text", choices=["json", "text"])
    _add_timeout(p)
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser("profiles", help="列出审查模板 / list profiles")
    p.set_defaults(func=cmd_profiles)

    p = sub.add_parser("eval", help="在标注语料上评估 / score on a labelled corpus")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--format", default="text", choices=["text", "json"])
    p.add_argument("--show-mismatches", action="store_true")
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("diff", help="比较两稿的审查结果 / compare two drafts")
    p.add_argument("old", metavar="OLD")
    p.add_argument("new", metavar="NEW")
    p.add_argument("--profile", default="auto")
    p.add_argument("--format", default="table", choices=["table", "json"])
    _add_timeout(p)
    p.set_defaults(func=cmd_diff)


def _error(msg: str, args=None, code: str = "usage") -> int:
    """An argument problem. `msg` is "中文 / English" (or Chinese alone)."""
    zh, _, en = msg.partition(" / ")
    return _fail(args, code, zh, en or zh)


def _fail(args, code: str, zh: str, en: str, file: str | None = None) -> int:
    """Print a failure on stderr, one line, both languages; with --format json also the error object
    on stdout (scripts read stdout, and `[]` would read as "no findings")."""
    where = f"{_shown(file)}: " if file else ""
    print(f"clausecheck: {where}{zh} / {en}", file=sys.stderr)
    if getattr(args, "format", None) == "json":
        print(json.dumps(error_object(code, zh, en, file), ensure_ascii=False, indent=2))
    return EXIT_ERROR


def error_object(code: str, zh: str, en: str, file: str | None = None) -> dict:
    error = {"code": code, "message_zh": zh, "message_en": en}
    if file is not None:
        error["file"] = file
    return {"error": error}


def _shown(path: str) -> str:
    from .names import clean_name

    return clean_name(path) or "?"


def _timeout(args) -> float:
    return float(getattr(args, "timeout", None) or DEFAULT_TIMEOUT)


def _bad_timeout(args) -> int | None:
    t = getattr(args, "timeout", None)
    if t is not None and not t > 0:
        return _error("--timeout 必须大于 0 / --timeout must be positive", args)
    return None


def _child(args, review: bool = True):
    """The limited child every file is read in (service.isolated); one per command."""
    from .isolated import Isolated

    return Isolated(_timeout(args), review_fn=DEFAULT_REVIEW_FN if review else None, warm=review)


class _Failed(Exception):
    def __init__(self, code: str, zh: str, en: str):
        super().__init__(code)
        self.code, self.zh, self.en = code, zh, en


def _missing(path: str) -> _Failed | None:
    if os.path.isfile(path):
        return None
    return _Failed("not-found", f"找不到文件：{_shown(path)}", f"No such file: {_shown(path)}")


def _in_child(child, fn):
    """Run fn(child); a failure in the child (unreadable, too large, too complex, timed out, crashed)
    becomes _Failed with both messages."""
    from .isolated import IsolatedFailure

    try:
        return fn(child)
    except IsolatedFailure as exc:
        raise _Failed(exc.code, exc.message_zh, exc.message_en) from None


def _review_file(child, path: str, profile: str) -> dict:
    from nlp import Limits

    from .names import clean_name

    if (missing := _missing(path)):
        raise missing
    task = {"path": os.path.abspath(path), "name": clean_name(os.path.basename(path)) or "document",
            "profile": profile, "max_bytes": Limits().max_bytes}
    return _in_child(child, lambda c: c.review(task))


def _review(path: str, profile: str) -> dict:
    """In this process, for `eval` on a labelled corpus (trusted files, thousands of them)."""
    from service.pipeline import review_path

    if not os.path.isfile(path):
        from nlp.errors import DocumentError

        raise DocumentError(f"找不到文件：{path}", f"No such file: {path}")
    return review_path(path, profile)


def _known_profile(profile: str) -> str | None:
    if profile == "auto":
        return None
    from clause_library import library

    if profile not in library().profiles:
        return f"未知的审查模板：{profile}（可用：auto, {', '.join(library().profiles)}） / unknown profile: {profile}"
    return None


def cmd_check(args) -> int:
    from service import report

    if (bad := _bad_timeout(args)) is not None:
        return bad
    if (err := _known_profile(args.profile)):
        return _error(err, args, "unknown-profile")
    if (err := _docx_output_problem(args)):
        return _error(err, args)
    results: list[dict] = []  # a review, or an error object in the file's place
    failed = False
    with _child(args) as child:
        for path in args.files:
            try:
                results.append(_review_file(child, path, args.profile))
            except _Failed as exc:
                failed = True
                print(f"clausecheck: {_shown(path)}: {exc.zh} / {exc.en}", file=sys.stderr)
                results.append(error_object(exc.code, exc.zh, exc.en, path))
        reviews = [r for r in results if "error" not in r]
        if args.format == "docx":
            if failed:
                return EXIT_ERROR
            if len(reviews) != 1:
                return _error("docx 格式一次只能输出一份审查结果 / docx takes exactly one file", args)
            try:
                memo = _in_child(child, lambda c: c.call("service.cli_jobs:docx_output", os.path.abspath(args.files[0]),
                                                         reviews[0], getattr(args, "redline", False)))
            except _Failed as exc:
                return _fail(args, exc.code, exc.zh, exc.en, args.files[0])
    out = _writer(args.output, binary=args.format == "docx")
    if args.format == "json":
        payload = results[0] if len(args.files) == 1 else results
        out.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    elif args.format == "md":
        out.write("\n\n".join(report.render_markdown(r) for r in reviews) + "\n")
    elif args.format == "html":
        out.write("\n".join(report.render_html(r) for r in reviews))
    elif args.format == "docx":
        out.write(memo)
    else:
        from rich.console import Console

        console = Console(file=out, force_terminal=None if args.output is None else False, width=140 if args.output else None)
        for r in reviews:
            report.render_table(r, console)
    if args.output:
        out.close()
    if failed:
        return EXIT_ERROR
    return EXIT_OK if all(f["status"] == "satisfied" for r in reviews for f in r["findings"]) else EXIT_FINDINGS


def _docx_output_problem(args, stdout=None) -> str | None:
    """Why `check` must not write what was asked for (binary Word output to a terminal), if it must not."""
    stdout = stdout or sys.stdout
    if getattr(args, "redline", False) and args.format != "docx":
        return "--redline 只能与 --format docx 一起使用 / --redline needs --format docx"
    if args.format == "docx" and not args.output and _isatty(stdout):
        return ("docx 是二进制文件，不能输出到终端，请用 -o 指定输出文件（如 -o reviewed.docx） / "
                "refusing to write a binary .docx to the terminal; use -o FILE")
    return None


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _writer(path: str | None, binary: bool):
    if path:
        return open(path, "wb" if binary else "w", encoding=None if binary else "utf-8")
    return sys.stdout.buffer if binary else sys.stdout


def cmd_parse(args) -> int:
    if (bad := _bad_timeout(args)) is not None:
        return bad
    if (missing := _missing(args.file)):
        return _fail(args, missing.code, missing.zh, missing.en, args.file)
    try:
        with _child(args, review=False) as child:
            text = _in_child(child, lambda c: c.call("service.cli_jobs:parse_file", os.path.abspath(args.file),
                                                     args.format))
    except _Failed as exc:
        return _fail(args, exc.code, exc.zh, exc.en, args.file)
    print(text)
    return EXIT_OK


def cmd_profiles(args) -> int:
    from clause_library.packs import list_packs

    for pack in list_packs():
        print(f"# 规则包 {pack['name']} {pack['version']}：{pack['title']}")
        for p in pack["profiles"]:
            print(f"{p['id']}\t{p['title']}\t{p['requirements']} 项要求")
    return EXIT_OK


def cmd_rules(args) -> int:
    from clause_library import list_profiles

    if args.profile and (err := _known_profile(args.profile)):
        return _error(err, args, "unknown-profile")
    for p in list_profiles():
        if args.profile and p["id"] != args.profile:
            continue
        print(f"# {p['id']} {p['title']}")
        for r in p["requirements"]:
            print(f"{r['id']}\t[{r['severity']}]\t{r['title']}")
            for s in r["sources"]:
                print(f"\t\t{s}")
        print()
    return EXIT_OK


def cmd_eval(args) -> int:
    from clause_library.evaluate import evaluate

    folder = Path(args.dir)
    if not folder.is_dir():
        return _error(f"不是目录 / not a directory: {folder}", args)
    result = evaluate(folder, _review)
    if args.format == "json":
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return EXIT_OK
    print(f"{'requirement':32} {'n':>3} {'acc':>6} {'F1':>6} {'reass':>6} {'alarm':>6} {'c-rec':>6}")
    for rid, s in result["per_requirement"].items():
        print(_score_line(rid, s))
    if result["errors"]:
        for e in result["errors"]:
            print(f"unreadable: {e['document']}: {e['error']}")
    if args.show_mismatches:
        for m in result["mismatches"]:
            print(f"  {m['document']}  {m['requirement']}: label {m['label']}, predicted {m['predicted']}")
    o = result["overall"]
    print("\nconfusion (rows: label, columns: predicted)")
    statuses = ["satisfied", "weak", "conflicting", "missing"]
    print(f"{'':12}" + "".join(f"{s:>12}" for s in statuses))
    for t in statuses:
        print(f"{t:12}" + "".join(f"{o['confusion'][t].get(p, 0):>12}" for p in statuses))
    from clause_library.evaluate import is_development_corpus

    if is_development_corpus(args.dir):
        print("\n注意：本规则库是对照该语料编写和调整的，以下为开发数据（development figures），不代表对未见合同的准确率。")
    else:
        print("\n注：若规则曾对照该语料编写，以下数字只是开发数据（development figures）。")
    print(f"documents {result['documents']}, pairs {o['pairs']}")
    cr = "n/a" if o["conflict_recall"] is None else f"{o['conflict_recall']:.3f}"
    print(f"accuracy {o['accuracy']:.3f}  macro-F1 {o['macro_f1']:.3f}  false reassurance {o['false_reassurance']:.3f}  "
          f"false alarm {o['false_alarm']:.3f}  conflict recall {cr}")
    return EXIT_OK


def _score_line(rid: str, s: dict) -> str:
    cr = "   n/a" if s["conflict_recall"] is None else f"{s['conflict_recall']:6.2f}"
    return (f"{rid:32} {s['pairs']:>3} {s['accuracy']:6.2f} {s['macro_f1']:6.2f} {s['false_reassurance']:6.2f} "
            f"{s['false_alarm']:6.2f} {cr}")


def cmd_diff(args) -> int:
    if (bad := _bad_timeout(args)) is not None:
        return bad
    if (err := _known_profile(args.profile)):
        return _error(err, args, "unknown-profile")
    for path in (args.old, args.new):
        if (missing := _missing(path)):
            return _fail(args, missing.code, missing.zh, missing.en, path)
    # two reviews in one call: the deadline covers both
    child_args = argparse.Namespace(timeout=2 * _timeout(args))
    try:
        with _child(child_args) as child:
            both = _in_child(child, lambda c: c.call("service.cli_jobs:diff_files", os.path.abspath(args.old),
                                                     os.path.abspath(args.new), args.profile))
    except _Failed as exc:
        return _fail(args, exc.code, exc.zh, exc.en)
    if "error" in both:
        e = both["error"]
        return _fail(args, e["code"], e["message"], e.get("message_en", e["code"]),
                     args.old if both["file"] == "old" else args.new)
    old, new = both["old"], both["new"]
    for w in both["warnings"]:  # two different contracts are worth a warning, not a refusal
        print(f"clausecheck: 警告：{w}", file=sys.stderr)
    rank = {"satisfied": 3, "weak": 2, "missing": 1, "conflicting": 0}
    before = {f["requirement"]: f for f in old["findings"]}
    rows = []
    for f in new["findings"]:
        o = before.get(f["requirement"])
        was = o["status"] if o else "missing"
        change = "fixed" if rank[f["status"]] > rank[was] else "regressed" if rank[f["status"]] < rank[was] else "unchanged"
        rows.append({"requirement": f["requirement"], "title": f["title"], "old": was, "new": f["status"], "change": change})
    if args.format == "json":
        print(json.dumps({"profile": new["profile"], "changes": rows}, ensure_ascii=False, indent=2))
    else:
        from service import labels_zh as zh

        for r in rows:
            print(f"{zh.CHANGE[r['change']]}\t{r['title']}\t{zh.status(r['old'])} → {zh.status(r['new'])}")
    return 1 if any(r["change"] == "regressed" for r in rows) else 0
