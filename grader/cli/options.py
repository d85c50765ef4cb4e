"""Options and argument checks that several commands share."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click

if TYPE_CHECKING:
    from grader.engines import BuilderChoice, EngineOptions
    from grader.grading import GradeOptions


_Command = TypeVar("_Command", bound=Callable[..., Any])


def pairs(ctx: click.Context, param: click.Parameter, values: Sequence[str]) -> dict[str, str]:
    result: dict[str, str] = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{value!r} is not KEY=VALUE", ctx=ctx, param=param)
        result[key] = rest
    return result


image_map = click.option(
    "--image-map",
    "image_map",
    multiple=True,
    callback=pairs,
    metavar="SRC=DST",
    help="Use image DST wherever a Dockerfile names SRC (mirrors, offline hosts); repeatable.",
)


def submissions(help_text: str) -> Callable[[_Command], _Command]:
    """--submissions, where grade and worker clone the repositories."""
    return click.option(
        "--submissions",
        "submissions_dir",
        type=click.Path(path_type=Path),
        default=Path("submissions"),
        show_default=True,
        help=help_text,
    )


refuse_image = click.option(
    "--refuse-image",
    "refuse_images",
    multiple=True,
    metavar="PATTERN",
    help="Refuse builds that name an image matching PATTERN, e.g. 'course/*' for the "
    "reference images on this engine (on top of the rubric's image policy); repeatable.",
)


# grader.engines.BUILDER_CHOICES, written out so that `grader --help` need not load docker-py
# (tests/test_cli.py holds the two equal)
BUILDER_CHOICES = ("auto", "buildkit", "classic", "buildah")


def builder_options(function: Any) -> Any:
    """--builder, --docker-cli and --docker-host, as check, grade and prefetch take them."""
    function = click.option(
        "--docker-cli",
        type=click.Path(path_type=Path, dir_okay=False),
        help="The docker command BuildKit builds go through (default: found on PATH).",
    )(function)
    return click.option(
        "--builder",
        type=click.Choice(BUILDER_CHOICES),
        help="auto (default: BuildKit where a client for it is found, else classic; buildah "
        "on Podman), or one of them.",
    )(function)


def grade_options(
    tasks: Sequence[str],
    image_map: dict[str, str],
    refuse_images: Sequence[str],
    builder: str | None,
    *,
    static_only: bool = False,
) -> GradeOptions:
    """What check, grade and rubric test share of how to grade."""
    from grader.grading import GradeOptions

    return GradeOptions(
        tasks=tuple(tasks),
        static_only=static_only,
        image_map=image_map,
        builder=builder or "auto",
        refuse_images=tuple(refuse_images),
    )


def engine_options(
    builder: str | None, docker_cli: Path | None, docker_host: str | None, *, keep: bool = False
) -> EngineOptions:
    from grader.engines import EngineOptions

    return EngineOptions(
        docker_host=docker_host,
        builder=cast("BuilderChoice", builder or "auto"),  # click.Choice checked it
        docker_cli=str(docker_cli) if docker_cli else None,
        keep=keep,
    )


EXPORT_FORMATS = ("gradescope", "lti-ags", "canvas-csv", "moodle-csv")


def formats(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, ...]:
    names = tuple(n.strip() for n in (value or "").split(",") if n.strip())
    unknown = [n for n in names if n not in EXPORT_FORMATS]
    if unknown:
        raise click.BadParameter(
            f"{unknown[0]!r} is not one of {', '.join(EXPORT_FORMATS)}", ctx, param
        )
    return names


def shard(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[int, int] | None:
    if value is None:
        return None
    index, sep, count = value.partition("/")
    if not sep or not index.isdigit() or not count.isdigit() or not 1 <= int(index) <= int(count):
        raise click.BadParameter(f"{value!r} is not I/N with 1 <= I <= N, e.g. 2/4", ctx, param)
    return int(index), int(count)


def deadline(ctx: click.Context, param: click.Parameter, value: str | None) -> datetime | None:
    if value is None:
        return None
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO-8601 time such as 2026-12-01T23:59+01:00", ctx, param
        ) from None
    return moment if moment.tzinfo else moment.astimezone()  # no zone given: this machine's


def _release(ctx: click.Context, param: click.Parameter, value: str | None) -> object:
    if value is None:
        return None
    from grader.gradebook import ReleaseChange
    from grader.grading import now

    word = value.strip().lower()
    if word == "now":
        return ReleaseChange(at=now())
    if word == "never":
        return ReleaseChange(never=True)
    try:
        return ReleaseChange(at=deadline(ctx, param, value))
    except click.BadParameter:
        raise click.BadParameter(
            f"{value!r} is not now, never or an ISO-8601 time such as 2026-12-08T09:00+01:00",
            ctx,
            param,
        ) from None


def gradebook_options(function: Any) -> Any:
    """--overrides, --release and --before-release, as grade, report and export take them."""
    function = click.option(
        "--before-release",
        type=click.Choice(["received", "score", "feedback"]),
        help="What students' copies hold until the release (default: the rubric's).",
    )(function)
    function = click.option(
        "--release",
        callback=_release,
        metavar="now|never|TIME",
        help="When students see full feedback and hidden criteria (default: the rubric's).",
    )(function)
    return click.option(
        "--overrides",
        "overrides_path",
        type=click.Path(path_type=Path, dir_okay=False),
        help="The instructor's overrides (default: overrides.yaml beside results.json).",
    )(function)


def release_change(change: object, before: str | None) -> Any:
    """The --release and --before-release values as one change, or None for neither."""
    from grader.gradebook import ReleaseChange

    if before is None:
        return change
    base = change if isinstance(change, ReleaseChange) else ReleaseChange()
    return dataclasses.replace(base, before=cast("Any", before))
