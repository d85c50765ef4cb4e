"""The batch's terminal display: a bar, what each job is doing, and a closing summary.

Live output only on a terminal; in a pipe or a CI log, just the summary at the end. Student ids,
what a job is doing and error messages go through the sanitiser and reach rich as ``Text``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from types import TracebackType

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from grader.models.results import SubmissionResult
from grader.sanitizer import for_terminal
from grader.units import format_points

_SLOWEST = 5


class BatchDisplay:
    """Implements ``grader.batch.Observer`` on a rich console."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self._lock = threading.Lock()
        self._doing: dict[str, tuple[str, float]] = {}
        self._rows: list[tuple[SubmissionResult, bool]] = []
        self._progress = Progress(
            TextColumn("grading"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        self._bar = self._progress.add_task("grading", total=None)
        self._workers: list[str] = []
        self._live: Live | None = None

    def building(self, lines: Sequence[str]) -> None:
        """Say what builds, before the first row."""
        for line in lines:
            self.console.print(Text(for_terminal(line)), soft_wrap=True)

    def __enter__(self) -> BatchDisplay:
        if self.console.is_terminal:
            self._live = Live(self, console=self.console, refresh_per_second=4, transient=True)
            self._live.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.__exit__(exc_type, exc, tb)

    def __rich__(self) -> RenderableType:
        table = Table.grid(padding=(0, 2))
        now = time.monotonic()
        with self._lock:
            doing = sorted(self._doing.items())
        for student, (what, since) in doing:
            table.add_row(
                Text(for_terminal(student), style="bold"),
                Text(for_terminal(what)),
                Text(f"{now - since:.0f} s"),
            )
        with self._lock:
            workers = [Text(for_terminal(line), style="dim") for line in self._workers]
        return Group(self._progress, *workers, table)

    def workers(self, lines: Sequence[str]) -> None:
        """The queue's workers: shown live; on a pipe, said again only when their number changes."""
        with self._lock:
            changed, self._workers = len(lines) != len(self._workers), list(lines)
        if changed and self._live is None:
            for line in lines:
                self.console.print(Text(for_terminal(line)), soft_wrap=True)

    def started(self, total: int) -> None:
        """The batch starts."""
        self._progress.update(self._bar, total=total)

    def working(self, student: str, doing: str) -> None:
        """A job moved on."""
        with self._lock:
            self._doing[student] = (doing, time.monotonic())

    def finished(self, row: SubmissionResult, *, reused: bool) -> None:
        """A row is final."""
        with self._lock:
            self._doing.pop(row.student, None)
            self._rows.append((row, reused))
        self._progress.advance(self._bar)

    def summary(self) -> None:
        """Counts, errors, late rows and the slowest submissions."""
        with self._lock:
            rows = list(self._rows)
        graded = sum(1 for r, _ in rows if r.status == "graded")
        errors = [r for r, _ in rows if r.status == "error"]
        late = sum(1 for r, _ in rows if r.late)
        reused = sum(1 for _, again in rows if again)
        self.console.print(
            Text(
                f"{len(rows)} submissions: {graded} graded ({reused} unchanged, not regraded), "
                f"{len(errors)} errors, {late} late"
            )
        )
        for row in errors:
            self.console.print(
                Text(f"  error {for_terminal(row.student)}: {for_terminal(row.error or '')}"),
                soft_wrap=True,  # whole lines, as the terminal summary prints them
            )
        timed = sorted(
            (r for r, again in rows if not again and r.seconds), key=lambda r: -(r.seconds or 0)
        )
        if timed:
            table = Table(title="slowest", title_justify="left", show_edge=False)
            table.add_column("student")
            table.add_column("seconds", justify="right")
            table.add_column("score", justify="right")
            for row in timed[:_SLOWEST]:
                table.add_row(
                    Text(for_terminal(row.student)),
                    Text(f"{row.seconds:.1f}"),
                    Text(f"{format_points(row.score)}/{format_points(row.max_score)}"),
                )
            self.console.print(table)
