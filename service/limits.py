"""Resource limits for the processes that read and review user files, and the errors they end in.

A hostile file can make a reader allocate gigabytes (a flate bomb inside pdfium, a huge numbering
label) or spin for minutes. Reading therefore always happens in a child process (CLI, server and
batch alike) that caps its own address space (RLIMIT_AS) and the CPU time of each task
(RLIMIT_CPU), while the parent keeps a wall-clock deadline and kills the child's whole process group
(Tesseract included) when it passes. This module holds the settings, the calls the child makes, and
the one vocabulary of "too large / too complex" errors every interface reports.
"""
from __future__ import annotations

import math
import os
import signal
from dataclasses import dataclass

MB = 1024 * 1024
DEFAULT_MEMORY_MB = 1536  # a 300-page scanned PDF under OCR peaks near 600 MB; bombs go far beyond
ENV_MEMORY = "CLAUSECHECK_MAX_MEMORY_MB"
ENV_CPU = "CLAUSECHECK_MAX_CPU_SECONDS"


@dataclass(frozen=True)
class WorkLimits:
    memory_mb: int = DEFAULT_MEMORY_MB  # address space of the child; 0: no limit
    cpu_seconds: float | None = None  # CPU time of one task; None: the same as its wall-clock deadline

    def cpu_for(self, timeout: float | None) -> float | None:
        return self.cpu_seconds if self.cpu_seconds else timeout

    def as_dict(self) -> dict:
        return {"memory_mb": self.memory_mb, "cpu_seconds": self.cpu_seconds}


def _env(name: str, kind):
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        value = kind(raw)
    except ValueError:
        raise SystemExit(f"环境变量 {name} 的值无效：{raw!r} / invalid value for {name}") from None
    if value < 0:
        raise SystemExit(f"环境变量 {name} 不能为负数：{raw!r} / {name} must not be negative")
    return value


def from_env() -> WorkLimits:
    memory = _env(ENV_MEMORY, int)
    cpu = _env(ENV_CPU, float)
    return WorkLimits(memory_mb=DEFAULT_MEMORY_MB if memory is None else memory, cpu_seconds=cpu or None)


# ---- in the child ----

def apply_memory(limits: WorkLimits | dict | None) -> None:
    """Cap the calling process's address space. Called once, at the start of a child."""
    memory_mb = (limits.get("memory_mb") if isinstance(limits, dict) else getattr(limits, "memory_mb", 0)) or 0
    try:
        import resource
    except ImportError:  # not POSIX: the wall-clock deadline is all there is
        return
    _few_malloc_arenas()
    # No core files: a child killed by SIGXCPU would otherwise dump one per hostile file.
    _set(resource.RLIMIT_CORE, 0)
    if memory_mb > 0:
        _set(resource.RLIMIT_AS, int(memory_mb) * MB)


def arm_cpu(seconds: float | None) -> None:
    """Allow the next task `seconds` of CPU time. RLIMIT_CPU counts the whole life of the process, so
    a long-lived worker moves its soft limit before every task; the hard limit stays where it was
    (an unprivileged process could never raise it again). At the soft limit the kernel sends SIGXCPU,
    whose default action ends the process: the parent sees the signal and reports "too complex"
    even when the time went into C code that no Python handler could interrupt."""
    try:
        import resource
    except ImportError:
        return
    soft_old, hard = resource.getrlimit(resource.RLIMIT_CPU)
    if not seconds or seconds <= 0:
        soft = hard
    else:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        soft = int(math.ceil(usage.ru_utime + usage.ru_stime + seconds))
        if hard != resource.RLIM_INFINITY:
            soft = min(soft, hard)
    signal.signal(signal.SIGXCPU, signal.SIG_DFL)
    if soft != soft_old:
        _set(resource.RLIMIT_CPU, soft, hard)


def _set(which: int, soft: int, hard: int | None = None) -> None:
    """Set a limit, never above what the administrator already imposed. `hard` None: soft and hard
    alike (a child never needs to raise its memory limit again)."""
    import resource

    _, current_hard = resource.getrlimit(which)
    if current_hard != resource.RLIM_INFINITY:
        soft = min(soft, current_hard)
    hard = soft if hard is None else hard
    try:
        resource.setrlimit(which, (soft, hard))
    except (ValueError, OSError):
        pass  # a stricter limit set by the administrator stays


def _few_malloc_arenas() -> None:
    # glibc reserves 64 MB of address space per malloc arena, up to 8 per core: on a many-core host
    # the reservations alone would hit RLIMIT_AS. One arena costs nothing for a mostly single-threaded
    # review (the GIL serialises it anyway).
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        libc.mallopt(-8, 1)  # M_ARENA_MAX
    except (OSError, AttributeError):
        pass


# ---- the errors (every interface says the same) ----

@dataclass(frozen=True)
class LimitFailure:
    code: str
    status: int  # the API's answer
    zh: str
    en: str

    def as_failure(self) -> dict:
        """The batch/sandbox result shape."""
        return {"status": "failed", "error": {"code": self.code, "message": self.zh, "message_en": self.en,
                                              "http_status": self.status}}


def memory_exceeded(limits: WorkLimits | None = None) -> LimitFailure:
    mb = (limits or from_env()).memory_mb
    shown = f"（{mb} MB）" if mb else ""
    return LimitFailure(
        "too-large", 413,
        f"文件过大或过于复杂：审查所需内存超过上限{shown}，已停止。请拆分文件后再审查，或请管理员调高 {ENV_MEMORY}。",
        f"The file is too large or too complex: reviewing it needs more memory than the limit"
        f"{f' ({mb} MB)' if mb else ''}. Split the file, or raise {ENV_MEMORY}.")


def cpu_exceeded(seconds: float | None = None) -> LimitFailure:
    shown = f"（{seconds:g} 秒）" if seconds else ""
    return LimitFailure(
        "too-complex", 422,
        f"文件过于复杂：审查所需计算时间超过上限{shown}，已停止。请拆分文件后再审查。",
        f"The file is too complex: reviewing it needs more CPU time than the limit"
        f"{f' ({seconds:g} s)' if seconds else ''}. Split the file and review the parts.")


def too_deep() -> LimitFailure:
    return LimitFailure(
        "too-complex", 422,
        "文件结构过于复杂（嵌套或编号层级过深、数值过大），无法审查。请检查文件或另存后再试。",
        "The file's structure is too complex (nesting, numbering or values too deep or too large) to review.")


def timed_out(seconds: float) -> LimitFailure:
    return LimitFailure(
        "timeout", 422,
        f"审查超过 {seconds:g} 秒未完成，已终止：文件可能过大或过于复杂。请拆分后重试，或调高时限。",
        f"The review did not finish within {seconds:g} s and was stopped: the file may be too large or too "
        "complex. Split it, or allow more time.")


def died(returncode: int | None, limits: WorkLimits | None = None, cpu_seconds: float | None = None) -> LimitFailure:
    """Why a child that was not killed by us ended, from its return code."""
    if returncode is not None and returncode < 0:
        sig = -returncode
        if sig == signal.SIGXCPU:
            return cpu_exceeded(cpu_seconds or (limits.cpu_seconds if limits else None))
        if sig == signal.SIGKILL:  # not ours (timeouts are reported before the kill): the OOM killer
            return memory_exceeded(limits)
        try:
            name = signal.Signals(sig).name
        except ValueError:
            name = str(sig)
        return LimitFailure(
            "worker-crashed", 422,
            f"审查该文件时工作进程异常终止（信号 {name}），文件可能已损坏、过大或过于复杂。",
            f"The review process ended abnormally (signal {name}); the file may be damaged, too large or "
            "too complex.")
    shown = "" if returncode is None else f"（退出码 {returncode}）"
    return LimitFailure(
        "worker-crashed", 422,
        f"审查该文件时工作进程异常退出{shown}，文件可能已损坏或格式异常。",
        f"The review process exited abnormally{f' (exit code {returncode})' if returncode is not None else ''}; "
        "the file may be damaged or malformed.")
