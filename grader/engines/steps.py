"""Build steps in one form: what each builder's parser fills in, placed on Dockerfile lines.

The classic builder and buildah number steps through the whole file (``Step 3/7``, ``STEP 3/7``);
BuildKit names a step by its stage and the instruction's text (``[builder 2/4] RUN go build``).
Either way the step is placed on the instruction it ran, found in the Dockerfile as built.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field

from grader.models.analysis import Instruction, numbered, same_text
from grader.models.results import BuildStep, StepStatus

by_number = numbered  # the classic builder's and buildah's steps

_TAIL_LINES = 20
_TAIL_LINE_CHARS = 400


def in_stage(found: Sequence[Instruction], stage: str | None, text: str) -> Instruction | None:
    """A step BuildKit names by stage (``builder``, ``stage-2``, or none with one stage)."""
    stages = {i.stage for i in found if i.stage is not None}
    index: int | None = None
    if stage is None:
        index = next(iter(stages)) if len(stages) == 1 else None
    elif stage.startswith("stage-") and stage[6:].isdigit():
        index = int(stage[6:])
    else:
        index = next((i.stage for i in found if i.stage_name == stage.lower()), None)
    candidates = [i for i in found if i.stage == index] if index is not None else list(found)
    keyword = text.split(maxsplit=1)[0].upper() if text.strip() else ""
    if keyword == "FROM":  # BuildKit prints the FROM with the image reference normalised
        return next((i for i in candidates if i.keyword == "FROM"), None)
    same = [i for i in candidates if same_text(i.original, text)]
    return same[0] if same else None


@dataclass
class _Step:
    stage: str | None
    step: str
    instruction: str
    line: int | None
    status: StepStatus = "running"
    started: float = field(default_factory=time.monotonic)
    seconds: float | None = None
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=_TAIL_LINES))


class StepLog:
    """The steps of one build as they are reported, in the order they started."""

    def __init__(self) -> None:
        self._steps: dict[str, _Step] = {}

    def start(
        self, key: str, *, stage: str | None, step: str, instruction: str, line: int | None
    ) -> None:
        """A step began (or was announced); a key seen before keeps its first record."""
        if key not in self._steps:
            self._steps[key] = _Step(stage, step, instruction, line)

    def output(self, key: str, text: str) -> None:
        """A line the step printed; only the last few are kept, each cut to a sane length."""
        step = self._steps.get(key)
        if step is not None:
            step.tail.append(text[:_TAIL_LINE_CHARS])

    def finish(self, key: str, status: StepStatus, seconds: float | None = None) -> None:
        """The step ended so (done, cached, failed, canceled)."""
        step = self._steps.get(key)
        if step is None:
            return
        step.status = status
        if seconds is None and status != "cached":
            seconds = time.monotonic() - step.started
        step.seconds = round(seconds, 3) if seconds is not None else None

    def last(self) -> str | None:
        """The key of the step that started last."""
        return next(reversed(self._steps), None)

    def failed(self) -> _Step | None:
        """The first step that failed."""
        return next((s for s in self._steps.values() if s.status == "failed"), None)

    def stop_running(self, status: StepStatus) -> None:
        """The build ended: steps still running end with it (failed, or canceled)."""
        for key, step in self._steps.items():
            if step.status == "running":
                self.finish(key, status)

    def steps(self) -> list[BuildStep]:
        """The steps in the one form results carry."""
        return [
            BuildStep(
                stage=s.stage,
                step=s.step,
                instruction=s.instruction,
                line=s.line,
                status=s.status,
                seconds=s.seconds,
                output_tail="\n".join(s.tail),
            )
            for s in self._steps.values()
        ]
