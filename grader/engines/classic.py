"""The engine's own /build API: Docker's classic builder, and buildah behind Podman's socket.

Both speak the same JSON message stream (``stream`` text, ``aux`` image id, ``error``); they
differ in how a step is announced (``Step 3/7 : RUN ...`` against ``STEP 3/7: RUN ...``). The
build's memory, CPU and network limits are request parameters; a timeout or a cancel shuts the
request's socket down, which makes the engine cancel the build.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from grader.capped import CappedBuffer, one_line
from grader.engines.base import BuildRequest, Built
from grader.engines.steps import StepLog, by_number
from grader.models.analysis import Instruction
from grader.models.results import BuilderInfo, BuildResult
from grader.models.rubric import Limits

if TYPE_CHECKING:
    from grader.engines.docker import Engine

# Docker's classic builder, then buildah's.
# buildah numbers steps within each stage and prefixes them with the stage ("[2/3] STEP 1/4: ")
# when there is more than one.
_STEP = re.compile(r"^(?:Step (\d+)/(\d+) : |(?:\[(\d+)/\d+\] )?STEP (\d+)/(\d+): )(.*)$")
# buildah prints 11 hex digits ("--> 275acd349a7") and a cached step as one line
# ("--> Using cache <64 hex>"); Docker prints "---> Using cache" and the id on the next line.
_ARROW_ID = re.compile(r"^ ?-{2,3}> ([0-9a-f]{11,64})\s*$")
_USING_CACHE = re.compile(r"^ ?-{2,3}> Using cache(?: [0-9a-f]{11,64})?\s*$")
# Steps that add a layer of files; the others (WORKDIR, ENV, CMD, ...) only change metadata.
_LAYER_STEPS = frozenset({"RUN", "COPY", "ADD"})


class _BuildLog:
    """Follows a /build message stream: the log, the steps, the image, the error.

    The classic builder keeps each step's image as cache, and each stage's last image stays
    behind as an untagged image that no label marks; ``created`` collects those ids, which grader
    removes besides its tagged images. A step answered from cache created nothing, and a FROM
    step names a base image (or an earlier stage): neither is ours to remove.
    """

    def __init__(self, limit: int, instructions: Sequence[Instruction]) -> None:
        self.buffer = CappedBuffer(limit)
        self.steps = StepLog()
        self.step = ""
        self.created: list[str] = []  # images with a layer of their own (RUN, COPY, ADD)
        self.metadata: list[str] = []  # images of steps that only set metadata (WORKDIR, ENV)
        self.image: str | None = None
        self.error: str | None = None
        self._instructions = instructions
        self._pending = ""
        self._from = False
        self._metadata = False
        self._cached = False

    def message(self, message: object) -> None:
        """Take one decoded JSON message of the /build stream."""
        if not isinstance(message, dict):
            return
        text = message.get("stream") or message.get("status") or ""
        if isinstance(text, str) and text:
            self.buffer.write(text.encode())
            self._lines(text)
        aux = message.get("aux")
        if isinstance(aux, dict) and isinstance(aux.get("ID"), str):
            self.image = aux["ID"]
        if message.get("error"):
            self.fail(str(message["error"]))

    def fail(self, error: str) -> None:
        """Record why the build failed, also in the log and on the step that was running."""
        self.buffer.write(f"{error}\n".encode())
        self.error = one_line(error)
        last = self.steps.last()
        if last is not None:
            self.steps.output(last, self.error)
            self.steps.finish(last, "failed")

    def close(self, *, canceled: bool = False) -> None:
        """Take the last line if it had no newline; steps still running end with the build."""
        self._lines("\n")
        self.steps.stop_running("canceled" if canceled else "done")

    def _lines(self, text: str) -> None:
        self._pending += text
        *lines, self._pending = self._pending.split("\n")
        for line in lines:
            match = _STEP.match(line)
            if match:
                self._begin(match)
            elif _USING_CACHE.match(line):
                self._cached = True
                if (last := self.steps.last()) is not None:
                    self.steps.finish(last, "cached")
            else:
                arrow = _ARROW_ID.match(line)
                if arrow and not self._from and not self._cached:
                    (self.metadata if self._metadata else self.created).append(arrow.group(1))
                elif (last := self.steps.last()) is not None and line.strip():
                    self.steps.output(last, line)

    def _begin(self, match: re.Match[str]) -> None:
        stage = int(match.group(3)) - 1 if match.group(3) else None
        number = int(match.group(1) or match.group(4))
        total = match.group(2) or match.group(5)
        text = match.group(6).strip()
        previous = self.steps.last()
        if previous is not None:
            self.steps.finish(previous, "cached" if self._cached else "done")
        self.step = f"Step {number}/{total} : {text}"
        keyword = text.split(" ", 1)[0].upper()
        self._from = keyword == "FROM"
        self._metadata = keyword not in _LAYER_STEPS
        self._cached = False
        if stage is None:
            found = by_number(self._instructions, number, text)
        else:
            found = by_number([i for i in self._instructions if i.stage == stage], number, text)
        self.steps.start(
            f"{number}" if stage is None else f"{stage}.{number}",
            stage=str(found.stage_name or found.stage)
            if found and found.stage is not None
            else None,
            step=f"{number}/{total}",
            instruction=text,
            line=found.line if found else None,
        )


class ApiBuilder:
    """Builds through the engine's /build endpoint (docker-py's API, requested directly)."""

    name: ClassVar[str] = "classic"

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def info(self) -> BuilderInfo:
        """The engine's own builder: no separate client; the /build parameters cap its steps."""
        return BuilderInfo.model_validate(
            {
                "name": self.name,
                "client": "the engine's /build API",
                "engine": self._engine.version,
                "enforced": ["timeout", "network", "memory", "cpus"],
            }
        )

    def cancel(self) -> None:
        """The engine shuts down every stream in flight when it is cancelled."""

    def close(self) -> None:
        """Nothing of its own to stop."""

    def build(self, request: BuildRequest, limits: Limits, tag: str) -> Built:
        """Build through /build; a failing or endless build is a result, not an exception."""
        engine = self._engine
        packed = request.context
        build_log = _BuildLog(int(limits.output_limit), request.instructions)
        started = time.monotonic()
        engine.track(image=tag)
        timed_out = False
        with packed.archive, engine.images_in_use.building():
            try:
                timed_out = engine.stream(
                    "/build",
                    params=self._params(request, limits, packed.dockerfile, tag),
                    data=packed.archive,
                    timeout=limits.build_timeout,
                    on_message=build_log.message,
                    on_refusal=build_log.fail,
                )
            finally:
                build_log.close(canceled=timed_out or engine.cancellation.is_set)
                engine.track(intermediates=build_log.created)
                engine.track(intermediates=build_log.metadata, whole_run=True)
        engine.cancellation.check()
        if timed_out:
            build_log.fail(f"the build was stopped at its time limit, {limits.build_timeout:g} s")
        elif build_log.error is None and build_log.image is None and engine.image_id(tag) is None:
            build_log.fail("the build ended without producing an image")
        error = build_log.error
        if error is not None and build_log.step:
            error = f"{build_log.step}: {error}"
        result = BuildResult(
            ok=error is None,
            seconds=round(time.monotonic() - started, 3),
            timed_out=timed_out,
            error=error,
            log_tail=build_log.buffer.text(),
            log_truncated=build_log.buffer.truncated,
            steps=build_log.steps.steps(),
            builder=self.info(),
        )
        return Built(result=result, image=tag if error is None else None)

    def _params(
        self, request: BuildRequest, limits: Limits, dockerfile: str, tag: str
    ) -> dict[str, Any]:
        """The /build query string.

        docker-py's build() can neither set a CPU quota nor hand back the response whose socket
        a timeout must shut down, so the request is made here, with the same parameters.
        """
        params: dict[str, Any] = {
            "t": tag,
            "dockerfile": dockerfile,
            "rm": "1",
            "forcerm": "1",  # a failed classic build leaves its container behind otherwise
            "memory": int(limits.memory),
            "memswap": int(limits.memory),
            "cpuperiod": 100_000,
            "cpuquota": int(limits.cpus * 100_000),
            "buildargs": json.dumps(dict(request.build_args)),
        }
        if request.target:
            params["target"] = request.target
        if request.platform:
            params["platform"] = request.platform
        if not limits.build_network:
            params["networkmode"] = "none"
        return params
