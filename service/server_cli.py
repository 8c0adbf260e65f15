"""`clausecheck serve` and `clausecheck tokens create|list|revoke`."""
from __future__ import annotations

import argparse
import logging
import os
import sys

from .settings import from_env


def register(sub) -> None:
    p = sub.add_parser("serve", help="启动 REST API 和网页 / run the REST API and web page")
    p.add_argument("--host", help="监听地址，默认 127.0.0.1")
    p.add_argument("--port", type=int, help="端口，默认 8000")
    p.add_argument("--db", help="SQLite 文件路径（默认 clausecheck.sqlite3 或 CLAUSECHECK_DB；DATABASE_URL 优先）")
    p.add_argument("--workers", type=int, help="同时审查的文件数")
    p.set_defaults(func=serve)

    db = argparse.ArgumentParser(add_help=False)  # --db before or after the action
    db.add_argument("--db", default=argparse.SUPPRESS, help="SQLite 文件路径（同 serve；DATABASE_URL 优先）")
    t = sub.add_parser("tokens", parents=[db], help="管理 API 令牌 / manage API tokens")
    tsub = t.add_subparsers(dest="tokens_command", required=True)
    c = tsub.add_parser("create", parents=[db], help="创建令牌（只显示一次）")
    c.add_argument("name")
    c.set_defaults(func=tokens_create)
    lp = tsub.add_parser("list", parents=[db], help="列出令牌名称")
    lp.set_defaults(func=tokens_list)
    r = tsub.add_parser("revoke", parents=[db], help="吊销令牌")
    r.add_argument("name")
    r.set_defaults(func=tokens_revoke)


def _store(args):
    from .db import Store

    store = Store(from_env(db_path=getattr(args, "db", None)).url)
    store.migrate()
    return store


def tokens_create(args) -> int:
    from . import auth

    store = _store(args)
    try:
        token = auth.create(store, args.name)
    except ValueError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(token)
    print(f"令牌“{args.name}”已创建。它只显示这一次，请妥善保存。/ Shown once; store it safely.", file=sys.stderr)
    return 0


def tokens_list(args) -> int:
    for name, created in _store(args).token_names():
        print(f"{name}\t{created.isoformat(timespec='seconds')}")
    return 0


def tokens_revoke(args) -> int:
    if not _store(args).delete_token(args.name):
        print(f"没有名为 {args.name} 的令牌 / no such token", file=sys.stderr)
        return 2
    print(f"令牌“{args.name}”已吊销 / revoked", file=sys.stderr)
    return 0


def _logging() -> None:
    from .child import LOG_FORMAT_ENV
    from .jsonlog import JsonLines

    # Worker children inherit the environment: their stderr (Tesseract's included) becomes JSON too.
    os.environ[LOG_FORMAT_ENV] = "json"
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines())
    logging.captureWarnings(True)  # a library's warnings.warn() becomes a JSON line too
    for name in ("clausecheck", "uvicorn.error", "py.warnings"):
        lg = logging.getLogger(name)
        lg.handlers[:] = [handler]
        lg.setLevel(logging.INFO)
        lg.propagate = False


def serve(args) -> int:
    try:
        settings = from_env(host=args.host, port=args.port, db_path=args.db, workers=args.workers)
    except SystemExit as exc:  # a bad CLAUSECHECK_* value
        print(exc, file=sys.stderr)
        return 2
    try:
        from .db import Store

        store = Store(settings.url)
        store.migrate()
        has_tokens = bool(store.token_names())
        store.close()
    except Exception as exc:
        print(f"无法打开数据库（{type(exc).__name__}：{exc}）/ cannot open the database", file=sys.stderr)
        return 2
    if not settings.loopback and not has_tokens:
        print(f"拒绝启动：监听地址 {settings.host} 不是本机回环地址，但尚未创建任何访问令牌。\n"
              "请先运行 `clausecheck tokens create 名称` 创建令牌，或改为监听 127.0.0.1。\n"
              f"Refusing to start: {settings.host} is reachable from other machines and no API token exists. "
              "Create one with `clausecheck tokens create NAME`, or bind to 127.0.0.1.", file=sys.stderr)
        return 2
    try:  # CLAUSECHECK_RULES_DIRS: a broken pack stops the start, not the first review
        from clause_library.packs import PackError, dirs_from_env, use_packs

        use_packs(dirs_from_env())
    except PackError as exc:
        print("规则包有问题，未启动 / a rule pack has problems, not started:\n  " + "\n  ".join(exc.problems),
              file=sys.stderr)
        return 2
    import uvicorn

    from .api import create_app

    _logging()
    mode = "单用户模式（无令牌）" if not has_tokens else "需要令牌"
    # a log line like every other: the server's stderr is JSON from the first line on
    logging.getLogger("clausecheck.server").info(
        f"clausecheck 服务：http://{_host_for_url(settings.host)}:{settings.port}/  （{mode}，"
        f"{settings.workers} 个审查进程，每个内存上限 {settings.max_memory_mb or '不限'} MB）")
    try:
        uvicorn.run(create_app(settings), host=settings.host, port=settings.port, access_log=False,
                    log_config=None, timeout_graceful_shutdown=10, server_header=False)
    except OSError as exc:
        print(f"无法监听 {settings.host}:{settings.port}：{exc}", file=sys.stderr)
        return 2
    return 0


def _host_for_url(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


def main(argv: list[str] | None = None) -> int:  # for `python -m service.server_cli`
    parser = argparse.ArgumentParser(prog="clausecheck")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
