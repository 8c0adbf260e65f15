"""`clausecheck` command line. Each group of subcommands lives in its own module, which exposes
`register(subparsers)`; this file only wires them together."""
from __future__ import annotations

import argparse
import importlib
import sys

# module -> registers these subcommands
COMMAND_MODULES = ["service.cli_review", "service.server_cli", "service.batch_cli", "service.explain_cli",
                   "service.feedback_cli"]


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
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0) if exc.code in (0, None) else 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("已中断 / interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
