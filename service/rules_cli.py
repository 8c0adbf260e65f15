"""`clausecheck rules [--profile P]` (list requirements), `clausecheck rules check DIR` (validate a
rule pack) and `clausecheck rules new ID [--dir DIR] [--tightens REQ]` (scaffold a requirement).

`add_parser(subparsers)` registers the whole `rules` command, replacing the listing-only one of
service/cli_review.py (the listing stays the default when no action is given)."""
from __future__ import annotations

import sys
from pathlib import Path

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


def add_parser(sub) -> None:
    p = sub.add_parser("rules", help="审查要求与规则包 / requirements and rule packs")
    p.add_argument("--profile", help="只列出该审查模板的要求 / list this profile's requirements")
    p.set_defaults(func=cmd_rules_list)
    actions = p.add_subparsers(dest="rules_action")

    c = actions.add_parser("check", help="检查规则包 / validate a rule pack")
    c.add_argument("dir", metavar="DIR")
    c.set_defaults(func=cmd_rules_check)

    n = actions.add_parser("new", help="生成一条要求的模板 / scaffold a requirement")
    n.add_argument("id", metavar="ID")
    n.add_argument("--dir", default=".", help="规则包目录（默认当前目录）/ pack folder")
    n.add_argument("--tightens", help="被收紧的已有要求编号 / the requirement this one tightens")
    n.set_defaults(func=cmd_rules_new)


register = add_parser  # the name service/cli.py's COMMAND_MODULES expects


def cmd_rules_list(args) -> int:
    from service.cli_review import cmd_rules

    return cmd_rules(args)


def cmd_rules_check(args) -> int:
    from clause_library.packcheck import check_pack

    folder = Path(args.dir)
    if not folder.is_dir():
        print(f"clausecheck: 不是目录 / not a directory: {folder}", file=sys.stderr)
        return EXIT_ERROR
    problems = check_pack(folder)
    if not problems:
        print(f"{folder}：规则包检查通过 / rule pack OK")
        return EXIT_OK
    print(f"{folder}：发现 {len(problems)} 处问题 / {len(problems)} problem(s)")
    for p in problems:
        print(f"  {p}")
    return EXIT_FINDINGS


def cmd_rules_new(args) -> int:
    from clause_library.scaffold import write_new_rule

    try:
        path = write_new_rule(args.id, Path(args.dir), args.tightens)
    except (ValueError, FileExistsError) as exc:
        print(f"clausecheck: {exc}", file=sys.stderr)
        return EXIT_ERROR
    print(f"已生成 {path}：请填写其中每个“待填写”，并在 profiles.yaml 中列入审查模板，然后运行 "
          f"clausecheck rules check {args.dir} / written; fill in every 待填写, then run rules check")
    return EXIT_OK
