"""`clausecheck` command line. Each group of subcommands lives in its own module, which exposes
`register(subparsers)`; this file only wires them together."""
from __future__ import annotations

import argparse
import importlib
import sys

# module -> registers these subcommands
COMMAND_MODULES = ["service.cli_review", "service.rules_cli", "service.server_cli", "service.batch_cli",
                   "service.explain_cli", "service.feedback_cli"]
# the commands that judge or list requirements, and so take --rules DIR (a department's rule pack)
PACK_COMMANDS = ("check", "diff", "eval", "explain", "batch", "profiles", "rules", "serve")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="clausecheck", description="党政部门、档案部门云服务合同安全条款审查")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        module.register(sub)
    for name in PACK_COMMANDS:
        if name in sub.choices:
            sub.choices[name].add_argument(
                "--rules", action="append", dest="rules_dirs", metavar="DIR", default=None,
                help="再加载一个规则包目录（可重复；服务器也读 CLAUSECHECK_RULES_DIRS）/ "
                     "load a rule pack folder too (repeatable)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Exit 0: done, nothing to report; 1: findings (check, diff); 2: any failure, always with a
    one-line message in Chinese and English and never a traceback; 130: interrupted."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) if exc.code in (0, None) else 2
    try:
        if getattr(args, "rules_dirs", None) and not _packs_loaded(args):
            return 2
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("已中断 / interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `clausecheck check f | head`: the reader stopped; nothing went wrong here
        _quiet_stdout()
        return 141
    except SystemExit as exc:  # a bad CLAUSECHECK_* value, or a command that exits itself
        if isinstance(exc.code, int) or exc.code is None:
            return int(exc.code or 0)
        return _failed(args, "invalid-setting", str(exc.code), str(exc.code))
    except RecursionError:
        return _failed(args, "too-complex", "内容嵌套过深，无法处理", "the content is nested too deeply to process")
    except MemoryError:
        return _failed(args, "too-large", "内存不足，无法完成", "out of memory")
    except Exception as exc:  # a bug: its type only (the message may quote a contract), no traceback
        name = type(exc).__name__
        return _failed(args, "internal-error", f"内部错误（{name}），未能完成", f"internal error ({name})")


def _packs_loaded(args) -> bool:
    """Load the --rules packs before any work, so a broken pack is reported at once (with what to
    fix) rather than on the first contract; use_packs also exports them to worker processes."""
    import os

    from clause_library.packs import PackError, use_packs

    missing = [d for d in args.rules_dirs if not os.path.isdir(d)]
    if missing:
        _failed(args, "unknown-rule-pack", f"规则包目录不存在：{missing[0]}", f"no such rule pack folder: {missing[0]}")
        return False
    try:
        use_packs(args.rules_dirs)
    except PackError as exc:
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        _failed(args, "invalid-rule-pack", f"规则包有 {len(exc.problems)} 处问题（见上；clausecheck rules check DIR）",
                f"the rule pack has {len(exc.problems)} problem(s) (above; run clausecheck rules check DIR)")
        return False
    return True


def _quiet_stdout() -> None:
    import os

    try:  # the interpreter's final flush of stdout would raise again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _failed(args, code: str, zh: str, en: str) -> int:
    if " / " in zh and zh == en:  # already bilingual
        zh, _, en = zh.partition(" / ")
    print(f"clausecheck: {zh} / {en}", file=sys.stderr)
    if getattr(args, "format", None) == "json":
        import json

        print(json.dumps({"error": {"code": code, "message_zh": zh, "message_en": en}}, ensure_ascii=False, indent=2))
    return 2


if __name__ == "__main__":
    sys.exit(main())
