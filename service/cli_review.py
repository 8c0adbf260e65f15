"""`clausecheck check | parse | profiles | rules | eval | diff`."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def register(sub) -> None:
    p = sub.add_parser("check", help="审查合同 / review contracts")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument("--profile", default="auto", help="审查模板 id，或 auto（默认）")
    p.add_argument("--format", default="table", choices=["table", "json", "md", "html", "docx"])
    p.add_argument("--output", "-o", help="写入文件而非标准输出")
    p.add_argument("--redline", action="store_true",
                   help="与 --format docx 合用（输入为 .docx）：把建议措辞作为修订插入原稿 / "
                        "insert suggested wording as tracked changes")
    p.set_defaults(func=cmd_check)

    p = sub.add_parser("parse", help="显示文件解析结果 / show what the reader made of a file")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--format", default="text", choices=["json", "text"])
    p.set_defaults(func=cmd_parse)

    p = sub.add_parser("profiles", help="列出审查模板 / list profiles")
    p.set_defaults(func=cmd_profiles)

    p = sub.add_parser("rules", help="列出审查要求 / list requirements")
    p.add_argument("--profile")
    p.set_defaults(func=cmd_rules)

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
    p.set_defaults(func=cmd_diff)


def _error(msg: str) -> int:
    print(f"clausecheck: {msg}", file=sys.stderr)
    return EXIT_ERROR


def _review(path: str, profile: str) -> dict:
    from service.pipeline import review_path

    if not os.path.isfile(path):
        from nlp.errors import DocumentError

        raise DocumentError(f"找不到文件：{path}", f"No such file: {path}")
    return review_path(path, profile)


def _known_profile(profile: str) -> str | None:
    from clause_library import library

    if profile != "auto" and profile not in library().profiles:
        return f"未知的审查模板 / unknown profile: {profile}（可用：auto, {', '.join(library().profiles)}）"
    return None


def cmd_check(args) -> int:
    from nlp.errors import DocumentError
    from service import report

    if (err := _known_profile(args.profile)):
        return _error(err)
    if (err := _docx_output_problem(args)):
        return _error(err)
    reviews, failed = [], False
    for path in args.files:
        try:
            reviews.append(_review(path, args.profile))
        except DocumentError as exc:
            failed = True
            print(f"clausecheck: {path}: {exc.message_zh} / {exc.message_en}", file=sys.stderr)
    if args.format == "docx" and len(reviews) != 1:
        return _error("docx 格式一次只能输出一份审查结果 / docx takes exactly one file")
    out = _writer(args.output, binary=args.format == "docx")
    if args.format == "json":
        payload = reviews[0] if len(args.files) == 1 and reviews else reviews
        out.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    elif args.format == "md":
        out.write("\n\n".join(report.render_markdown(r) for r in reviews) + "\n")
    elif args.format == "html":
        out.write("\n".join(report.render_html(r) for r in reviews))
    elif args.format == "docx":
        out.write(_docx_output(args.files[0], reviews[0], getattr(args, "redline", False)))
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


def _docx_output(path: str, review: dict, redline: bool) -> bytes:
    """A .docx draft comes back annotated (comments, and with --redline tracked insertions); anything
    else gets the Word memo."""
    from service import report

    if Path(path).suffix.lower() == ".docx" and review["document"].get("format") == "docx":
        from service.docx_annotate import AnnotateError, annotate_docx

        try:
            return annotate_docx(Path(path).read_bytes(), review, redline=redline)
        except AnnotateError as exc:
            print(f"clausecheck: {path}: {exc.message_zh}改为输出审查报告。 / {exc.message_en} "
                  "Writing the review memo instead.", file=sys.stderr)
    elif redline:
        print("clausecheck: --redline 仅适用于 .docx 原稿，已输出审查报告 / --redline needs a .docx draft; "
              "writing the review memo", file=sys.stderr)
    return report.render_docx(review)


def _writer(path: str | None, binary: bool):
    if path:
        return open(path, "wb" if binary else "w", encoding=None if binary else "utf-8")
    return sys.stdout.buffer if binary else sys.stdout


def cmd_parse(args) -> int:
    from nlp import DocumentError, read_path
    from nlp.describe import describe, describe_text

    try:
        if not os.path.isfile(args.file):
            raise DocumentError(f"找不到文件：{args.file}", f"No such file: {args.file}")
        doc = read_path(args.file)
    except DocumentError as exc:
        return _error(f"{args.file}: {exc.message_zh} / {exc.message_en}")
    if args.format == "json":
        print(json.dumps(describe(doc), ensure_ascii=False, indent=2))
    else:
        print(describe_text(doc))
    return EXIT_OK


def cmd_profiles(args) -> int:
    from clause_library import list_profiles

    for p in list_profiles():
        print(f"{p['id']}\t{p['title']}（{p['source']}）\t{len(p['requirements'])} 项要求")
    return EXIT_OK


def cmd_rules(args) -> int:
    from clause_library import list_profiles

    if args.profile and (err := _known_profile(args.profile)):
        return _error(err)
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
        return _error(f"不是目录 / not a directory: {folder}")
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
    from nlp.errors import DocumentError

    if (err := _known_profile(args.profile)):
        return _error(err)
    try:
        old = _review(args.old, args.profile)
        new = _review(args.new, old["profile"] if args.profile == "auto" else args.profile)
    except DocumentError as exc:
        return _error(f"{exc.message_zh} / {exc.message_en}")
    from service.compare import warn_cli

    warn_cli(args.old, args.new, old, new)  # two different contracts are worth a warning, not a refusal
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
