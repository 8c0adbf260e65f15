"""`clausecheck explain FILE REQUIREMENT [--format text|json]`: the frames the engine read from every
candidate clause of one requirement and the rule line that decided each, for rule authors."""
from __future__ import annotations

import sys


def register(sub) -> None:
    p = sub.add_parser("explain", help="说明某项要求的判断依据（候选条款的框架与决定规则）")
    p.add_argument("file")
    p.add_argument("requirement", help="requirement id, e.g. termination-deletion")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--timeout", type=float, default=None, metavar="S", help="审查时限（秒） / time limit in seconds")
    p.set_defaults(func=run)


def run(args) -> int:
    import os

    from clause_library.library import library

    from .cli_review import _child, _Failed, _fail, _in_child, _missing

    if args.requirement not in library().rules:
        print(f"未知的审查要求 / unknown requirement: {args.requirement[:80]}; known: "
              + ", ".join(sorted(library().rules)), file=sys.stderr)
        return 2
    if (missing := _missing(args.file)):
        return _fail(args, missing.code, missing.zh, missing.en, args.file)
    try:  # the file is read in a limited child, like every CLI review (service.isolated)
        with _child(args) as child:
            out = _in_child(child, lambda c: c.call("service.cli_jobs:explain_file", os.path.abspath(args.file),
                                                    args.requirement, args.format))
    except _Failed as exc:
        return _fail(args, exc.code, exc.zh, exc.en, args.file)
    print(out)
    return 0
