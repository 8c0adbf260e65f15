"""`clausecheck feedback export DIR`: the reviewers' corrections as a labelled corpus.

For each stored review with at least one correction (all reviews with --all) whose text was kept,
writes the contract file and NAME.labels.yaml beside it (../shared/spec/labels.md), ready for
`clausecheck eval DIR`. Prints counts only, never the contracts' words."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(sub) -> None:
    db = argparse.ArgumentParser(add_help=False)  # --db before or after the action, as for `tokens`
    db.add_argument("--db", default=argparse.SUPPRESS, help="SQLite 文件路径（同 serve；DATABASE_URL 优先）")
    p = sub.add_parser("feedback", parents=[db], help="审查人更正 / reviewer feedback")
    fsub = p.add_subparsers(dest="feedback_command", required=True)
    e = fsub.add_parser("export", parents=[db], help="把审查人更正导出为标注语料（labels.yaml）/ export corrections as labels")
    e.add_argument("dir", metavar="DIR", help="输出目录（不存在则创建）")
    e.add_argument("--all", action="store_true",
                   help="也导出没有更正的审查（其状态为工具的结论，未经人工核对）")
    e.set_defaults(func=cmd_export)


def cmd_export(args) -> int:
    from .db import Store
    from .feedback import export_labels
    from .settings import from_env

    out = Path(args.dir)
    if out.exists() and not out.is_dir():
        print(f"clausecheck: 不是目录 / not a directory: {out}", file=sys.stderr)
        return 2
    try:
        store = Store(from_env(db_path=getattr(args, "db", None)).url)
        store.migrate()
    except Exception as exc:
        print(f"clausecheck: 无法打开数据库（{type(exc).__name__}）/ cannot open the database", file=sys.stderr)
        return 2
    try:
        stats = export_labels(store, out, everything=args.all)
    finally:
        store.close()
    print(f"已导出 {stats['exported']} 份合同的标注（含 {stats['corrections']} 处审查人更正）到 {out}。"
          f" / exported {stats['exported']} labelled contracts ({stats['corrections']} corrections)", file=sys.stderr)
    if stats["skipped_no_text"]:
        print(f"跳过 {stats['skipped_no_text']} 份未保存原文的审查（审查时未勾选“保存原文”）。"
              f" / skipped {stats['skipped_no_text']} reviews whose text was not kept", file=sys.stderr)
    if stats["skipped_unknown_profile"]:
        print(f"跳过 {stats['skipped_unknown_profile']} 份审查模板已不存在的审查。"
              f" / skipped {stats['skipped_unknown_profile']} reviews of an unknown profile", file=sys.stderr)
    return 0
