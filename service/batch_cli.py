"""`clausecheck batch DIR`: review every contract in a folder."""
from __future__ import annotations

import argparse
import os
import sys

from service.batch.runner import DEFAULT_TIMEOUT, BatchOptions, UnusableDir, run_batch

DEFAULT_OUT = "clausecheck-batch-out"
MAX_SKIPPED_SHOWN = 20


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "batch", help="批量审查目录中的所有合同 / review every contract under a folder",
        description="递归审查 DIR 下所有支持的文件（按内容识别类型），结果写入输出目录；"
                    "再次运行只审查新增或修改的文件。")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--profile", default="auto", help="审查依据（默认 auto，自动选择）")
    p.add_argument("--out", default=None, help=f"输出目录（默认 ./{DEFAULT_OUT}）")
    p.add_argument("--workers", type=int, default=None,
                   help="并行工作进程数（默认 CLAUSECHECK_WORKERS，否则为可用 CPU 核数）")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="在 Dask 集群上运行：tcp://HOST:8786，或 local 启动本机集群")
    p.add_argument("--shared-storage", action="store_true",
                   help="集群节点可按相同路径读取文件（否则把文件内容发送给节点）")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S",
                   help=f"单个文件的审查时限（秒，默认 {DEFAULT_TIMEOUT:g}）")
    p.add_argument("--retry-failed", action="store_true", help="重新审查以前失败的文件")
    p.add_argument("--quiet", action="store_true", help="不显示进度")
    p.set_defaults(func=run)


def _check_args(args) -> str | None:
    if args.workers is not None and args.workers < 1:
        return "--workers 必须为正整数"
    if not args.timeout > 0:
        return "--timeout 必须大于 0"
    if args.profile != "auto":
        from clause_library import list_profiles

        known = [p["id"] for p in list_profiles()]
        if args.profile not in known:
            return f"未知的审查依据 {args.profile!r}；可选：{', '.join(known)}"
    return None


def run(args) -> int:
    problem = _check_args(args)
    if problem:
        print(f"clausecheck batch: {problem}", file=sys.stderr)
        return 2
    opts = BatchOptions(root=args.dir, out=args.out or os.path.join(os.getcwd(), DEFAULT_OUT),
                        profile=args.profile, workers=args.workers, timeout=args.timeout,
                        scheduler=args.scheduler, shared_storage=args.shared_storage,
                        retry_failed=args.retry_failed)
    from service.batch.progress import Progress, Silent

    events = Silent() if args.quiet else Progress()
    try:
        with events:
            report = run_batch(opts, events)
    except UnusableDir as exc:
        print(f"clausecheck batch: {exc}", file=sys.stderr)
        return 2
    except (OSError, TimeoutError) as exc:
        if opts.scheduler:  # scheduler unreachable: an argument the user can fix
            print(f"clausecheck batch: 无法连接调度器 {opts.scheduler}：{exc}", file=sys.stderr)
            return 2
        raise
    if not args.quiet or report.interrupted:
        _print_summary(report, opts.out)
    return 130 if report.interrupted else 0


def _print_summary(report, out: str) -> None:
    lines = [f"合同 {report.total} 份：本次审查 {report.reviewed}，沿用以前结果 {report.reused}；"
             f"成功 {report.ok}，失败 {report.failed}。用时 {report.seconds:.1f} 秒。"]
    if report.skipped:
        lines.append(f"跳过 {len(report.skipped)} 个文件（未审查）：")
        reasons = getattr(report, "skip_reasons", {}) or {}
        shown = report.skipped[:MAX_SKIPPED_SHOWN]
        lines += [f"  {rel}：{reasons.get(rel, '不是合同文档')}" for rel in shown]
        if len(report.skipped) > len(shown):
            lines.append(f"  ……另有 {len(report.skipped) - len(shown)} 个")
    if report.interrupted:
        lines.append("已中断：已完成的结果已保存，再次运行同一命令可继续。")
    lines.append(f"输出目录：{out}（report.html, summary.csv, summary.xlsx, errors.csv, results.jsonl）")
    print("\n".join(lines), file=sys.stderr)
