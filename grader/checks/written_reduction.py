"""written_reduction: the sizes the student documented against the sizes measured.

Task 5 asks the student to write down what `docker images` showed for the naive build and for
the multi-stage one. Tools print sizes differently (`docker images` in powers of 1000, others
in powers of 1024 under the same 'MB'), so a size is read every way its unit is used, and it
matches a measured size when one reading is within the tolerance of it. Numbers are exact
fractions: a size right at the tolerance's edge matches, whatever binary floats would say.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Final

from grader.capped import one_line
from grader.checks.base import CheckKind, Facts, Needs, Outcome
from grader.checks.size_reduction import spec
from grader.errors import StudentFileError
from grader.files import read_repo_text
from grader.models.results import Evidence
from grader.models.rubric import Task
from grader.models.written_criteria import WrittenReduction
from grader.units import format_bytes

_SIZE: Final = re.compile(
    r"""
    (?<![\w.,])                                 # not the tail of a word or of a number
    (?P<number>\d{1,3}(?:,\d{3}){1,6}(?:\.\d{1,9})?  # 1,234 or 1,234.5: thousands
      |\d{1,18}(?:[.,]\d{1,9})?                      # 1.2 or 1,2 (a decimal comma)
      |\.\d{1,9})
    [ \t\u00a0\u202f]*
    (?P<unit>[kmgt]i?b|bytes?|(?-i:B))           # a lone b: only Docker's capital B
    (?!\w)
    """,
    re.IGNORECASE | re.VERBOSE,
)
_POWERS: Final = {"k": 1, "m": 2, "g": 3, "t": 4}
_SHOWN: Final = 10  # sizes listed in the evidence
MAX_SIZES: Final = 1000
"""Sizes read from one file: a report holds a handful, and a flood must not cost seconds."""


@dataclass(frozen=True)
class WrittenSize:
    """One size as written, and the byte counts it may mean."""

    text: str
    line: int
    readings: tuple[tuple[Fraction, str], ...]  # (bytes, how the unit was read)

    def closest(self, measured: int) -> tuple[Fraction, str]:
        """The reading nearest to ``measured`` bytes."""
        return min(self.readings, key=lambda reading: abs(reading[0] - measured))


def _number(text: str) -> Fraction:
    if re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?", text):  # no longer than _SIZE allows
        return Fraction(text.replace(",", ""))
    return Fraction(text.replace(",", "."))


def _readings(number: Fraction, unit: str) -> tuple[tuple[Fraction, str], ...]:
    """What ``number unit`` may mean: 'MB' is 10^6 for Docker, 2^20 for many other tools."""
    lowered = unit.lower()
    if lowered.startswith("b"):
        return ((number, "bytes"),)
    power = _POWERS[lowered[0]]
    binary = (number * 1024**power, f"{unit[0].upper()}iB")
    if "i" in lowered:
        return (binary,)
    return ((number * 1000**power, f"{unit[0].upper()}B".replace("KB", "kB")), binary)


def find_sizes(text: str, limit: int = MAX_SIZES) -> list[WrittenSize]:
    """The sizes written in ``text``, in order, the first ``limit`` of them: '1.2GB', '850 MiB'."""
    found: list[WrittenSize] = []
    for number, line in enumerate(text.split("\n"), start=1):
        for match in _SIZE.finditer(line):
            value = _number(match["number"])
            found.append(WrittenSize(match.group(0), number, _readings(value, match["unit"])))
            if len(found) >= limit:
                return found
    return found


def matches(size: WrittenSize, measured: int, tolerance: float) -> str | None:
    """How ``size`` reads as ``measured`` within ``tolerance`` (e.g. 'MiB'), else None."""
    allowed = Fraction(repr(tolerance)) * measured
    bytes_, reading = size.closest(measured)
    return reading if abs(bytes_ - measured) <= allowed else None


def needs(criterion: WrittenReduction, task: Task) -> Needs:
    """Both images, to measure them."""
    return Needs(build=True, builds=frozenset({spec(criterion)}))


def _listed(sizes: list[WrittenSize], names: dict[int, str]) -> str:
    shown = []
    for index, size in enumerate(sizes[:_SHOWN]):
        what = f" = {names[index]}" if index in names else ""
        shown.append(f"{one_line(size.text, 40)} (line {size.line}){what}")
    more = f"; {len(sizes) - _SHOWN} more" if len(sizes) > _SHOWN else ""
    return "; ".join(shown) + more


def evaluate(criterion: WrittenReduction, facts: Facts) -> Outcome:
    """Half for the baseline's size written down, half for the final image's."""
    name = criterion.file
    try:
        text = read_repo_text(facts.repo, name)
    except StudentFileError as exc:
        return Outcome.fail(str(exc), Evidence(expected=f"{name} giving both image sizes"))
    sizes = find_sizes(text)
    if not sizes:
        return Outcome.fail(
            f"{name} gives no image size: write both as `docker images` shows them (e.g. 1.2GB)",
            Evidence(expected="the sizes of both images", actual="no size found"),
        )
    baseline = facts.builds.get(spec(criterion))
    if baseline is None or not baseline.result.ok or baseline.size_bytes is None:
        why = "it was not built" if baseline is None else baseline.result.error
        return Outcome.fail(
            f"the baseline {criterion.baseline} does not build: {why or 'it has no size'}"
        )
    final = facts.task.dockerfile or "the task's image"
    if facts.image is None:
        return Outcome.fail(f"{final} does not build, so it has no size")
    images = ((criterion.baseline, baseline.size_bytes), (final, facts.image.size_bytes))
    hits = _hits(sizes, (images[0][1], images[1][1]), criterion.tolerance)
    percent = f"{criterion.tolerance * 100:g}%"
    names = {
        index: f"{images[image][0]} (read as {reading})" for image, (index, reading) in hits.items()
    }
    evidence = Evidence(
        expected=", ".join(f"{image}: {format_bytes(size)}" for image, size in images)
        + f"; each within {percent}",
        actual=_listed(sizes, names),
    )
    said = [
        f"{image} {format_bytes(size)} as {one_line(sizes[hits[position][0]].text, 40)}"
        for position, (image, size) in enumerate(images)
        if position in hits
    ]
    missing = [
        f"{image}'s {format_bytes(size)}"
        for position, (image, size) in enumerate(images)
        if position not in hits
    ]
    if not missing:
        return Outcome.ok(f"{name} gives both sizes: {'; '.join(said)}", evidence)
    where = f"{name} gives no size within {percent} of {' or '.join(missing)}"
    if said:
        return Outcome(
            passed=False, fraction=0.5, message=f"{where} ({'; '.join(said)})", evidence=evidence
        )
    found = ", ".join(one_line(s.text, 40) for s in sizes[:_SHOWN])
    more = f" and {len(sizes) - _SHOWN} more" if len(sizes) > _SHOWN else ""
    return Outcome.fail(f"{where} (it gives {found}{more})", evidence)


def _hits(
    sizes: list[WrittenSize], measured: tuple[int, int], tolerance: float
) -> dict[int, tuple[int, str]]:
    """Image (0 baseline, 1 final) -> its written size (index, reading); each size serves one.

    Two images within the tolerance of each other could both match a single number: each then
    needs a size of its own, and the sizes go where they fit best (a lone one to the image it
    is closer to).
    """

    def off(index: int, image: int) -> Fraction:
        size = measured[image]
        bytes_, _ = sizes[index].closest(size)
        return abs(bytes_ - size) / size if size else abs(bytes_)

    def closest(image: int) -> list[tuple[int, str]]:
        found = [
            (i, r) for i, s in enumerate(sizes) if (r := matches(s, measured[image], tolerance))
        ]
        return sorted(found, key=lambda hit: off(hit[0], image))[:2]

    # the best distinct pair is among each image's two closest sizes (a file may hold many)
    ones, twos = closest(0), closest(1)
    pairs = [(a, b) for a in ones for b in twos if a[0] != b[0]]
    if pairs:
        a, b = min(pairs, key=lambda pair: off(pair[0][0], 0) + off(pair[1][0], 1))
        return {0: a, 1: b}
    if ones and twos:  # the same single size matches both
        return {0: ones[0]} if off(ones[0][0], 0) <= off(twos[0][0], 1) else {1: twos[0]}
    return {0: ones[0]} if ones else {1: twos[0]} if twos else {}


KIND = CheckKind[WrittenReduction](
    title="Size reduction documented", needs=needs, evaluate=evaluate
)
