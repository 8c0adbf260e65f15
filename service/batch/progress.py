"""Progress on stderr, so stdout stays clean for scripts."""
from __future__ import annotations


class Silent:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def started(self, todo: int, reused: int) -> None:
        pass

    def finished_one(self, rel: str, ok: bool) -> None:
        pass


class Progress(Silent):
    def __init__(self):
        from rich.console import Console
        from rich.progress import (BarColumn, MofNCompleteColumn, Progress as RichProgress, ProgressColumn,
                                   SpinnerColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn)
        from rich.text import Text

        class Rate(ProgressColumn):
            def render(self, task):
                speed = task.finished_speed or task.speed
                return Text(f"{speed * 60:.1f} 份/分钟" if speed else "— 份/分钟")

        self._bar = RichProgress(SpinnerColumn(), TextColumn("审查合同"), BarColumn(), MofNCompleteColumn(),
                                 TextColumn("失败 {task.fields[failed]}"), Rate(), TimeElapsedColumn(),
                                 TextColumn("剩余"), TimeRemainingColumn(),
                                 console=Console(stderr=True), transient=False)
        self._task = None
        self._failed = 0

    def __enter__(self):
        self._bar.__enter__()
        return self

    def __exit__(self, *exc):
        return self._bar.__exit__(*exc)

    def started(self, todo: int, reused: int) -> None:
        # Files settled by an earlier run stay out of the bar: rate and ETA are about real work.
        if todo:
            self._task = self._bar.add_task("batch", total=todo, failed=0)
        if reused:
            self._bar.console.print(f"沿用以前的结果 {reused} 份，待审查 {todo} 份。")

    def finished_one(self, rel: str, ok: bool) -> None:
        if not ok:
            self._failed += 1
        if self._task is not None:
            self._bar.update(self._task, advance=1, failed=self._failed)
