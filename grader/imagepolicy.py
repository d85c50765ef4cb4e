"""Which images a student's build may name: the rubric's policy, and what no policy allows.

The grading engine holds more than the images a task needs: the instructor's reference solution,
other courses' images, grader's own images of the other students in a batch. Each is one
``COPY --from=<image>`` away, so every image a Dockerfile names is judged before its build
starts, on the name the student wrote (after ARG expansion, before any ``image_map``). Pure: no
engine, no I/O. docs/image-policy.md has the rules and the evidence behind them.
"""

from __future__ import annotations

import re
from typing import Final

from grader.imageref import DEFAULT_DOMAIN, SCRATCH, ImageRef, matches, parse
from grader.models.rubric import ImagePolicy

RULE: Final = "image-not-allowed"
# grader's own namespaces: grader-run/ tags every build of a batch (another student's image is
# there while it is graded), grader-test/ holds the test suite's stand-ins.
RESERVED: Final = ("grader-run", "grader-test")
_HEX: Final = re.compile(r"[0-9a-f]+")
_OFFICIAL: Final = "library/"
_LISTED: Final = " (allowed: "


def _image_id(ref: ImageRef) -> bool:
    """Whether the classic builder may read the reference as an image ID (seen on 20.10).

    ``FROM 3835``, ``COPY --from=3835170ff344`` and ``COPY --from=sha256:<id>`` all find a local
    image by its ID there, whatever it is named; ``3835170ff344:latest`` is only a name.
    """
    if ref.domain != DEFAULT_DOMAIN or ref.digest is not None:
        return False
    name = ref.path.removeprefix(_OFFICIAL)
    if ref.path == name:  # a user's repository, not a one-word name
        return False
    if ref.tag is None:
        return _HEX.fullmatch(name) is not None
    return name == "sha256" and _HEX.fullmatch(ref.tag) is not None


def refusal(reference: str, policy: ImagePolicy, parsed: ImageRef | None = None) -> str | None:
    """Why ``policy`` refuses ``reference``, as a clause fit after the reference; None if not.

    grader's own namespaces and image IDs are refused whatever the policy allows. A reference
    that does not parse is not judged here: Docker refuses it, and the analysis says so.
    ``parsed`` saves parsing it again where the caller has.
    """
    if reference == SCRATCH:
        return None
    if parsed is not None:
        ref = parsed
    else:
        try:
            ref = parse(reference)
        except ValueError:
            return None
    if _image_id(ref):
        return (
            "may be read as an image ID, which reaches any image on the grading engine, "
            "whatever its name; name the image with its tag (e.g. alpine:3.19)"
        )
    namespace, slash, _ = ref.path.partition("/")
    if slash and namespace in RESERVED:
        return (
            f"is in {namespace}/, where grader keeps its own images (other students' builds, "
            "test images); no Dockerfile may use them"
        )
    for pattern in policy.refuse:
        if matches(reference, pattern):
            return f"is refused by the image policy ({pattern})"
    if "*" in policy.allow:  # any name: no need to try the spellings
        return None
    if not any(matches(reference, pattern) for pattern in policy.allow):
        return f"is not an image the rubric allows{_LISTED}{allowed(policy)})"
    return None


def unlisted(message: str) -> str:
    """A refusal without its list of allowed patterns, for where a hint lists them."""
    return message.split(_LISTED, 1)[0]


def allowed(policy: ImagePolicy) -> str:
    """The allowed patterns, in words for a hint."""
    return ", ".join(policy.allow)


def hint(policy: ImagePolicy) -> str:
    """What a student whose build was refused should do."""
    own = ", ".join(f"{namespace}/" for namespace in RESERVED)
    refused = f"; refused: {', '.join(policy.refuse)}" if policy.refuse else ""
    return (
        f"Build only from the images this task allows: {allowed(policy)}{refused}. grader's own "
        f"images ({own}) and image IDs are never allowed."
    )
