"""`clausecheck explain FILE REQUIREMENT [--format text|json]`: the frames the engine read from every
candidate clause of one requirement and the rule line that decided each, for rule authors."""
from __future__ import annotations

import json
import sys


def register(sub) -> None:
    p = sub.add_parser("explain", help="说明某项要求的判断依据（候选条款的框架与决定规则）")
    p.add_argument("file")
    p.add_argument("requirement", help="requirement id, e.g. termination-deletion")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.set_defaults(func=run)


def run(args) -> int:
    from clause_library.explain import explain, format_text
    from clause_library.library import library
    from nlp import DocumentError, read_document

    if args.requirement not in library().rules:
        print(f"未知的审查要求 / unknown requirement: {args.requirement[:80]}; known: "
              + ", ".join(sorted(library().rules)), file=sys.stderr)
        return 2
    try:
        with open(args.file, "rb") as fh:
            data = fh.read()
        doc = read_document(data, args.file.rsplit("/", 1)[-1])
    except OSError as exc:
        print(f"无法读取文件 / cannot read file: {exc.strerror}", file=sys.stderr)
        return 2
    except DocumentError as exc:
        print(f"{exc.message_zh} / {exc.message_en}", file=sys.stderr)
        return 2
    result = explain(doc, args.requirement)
    if args.format == "json":
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(format_text(result))
    return 0
