"""Static analysis of a Dockerfile with Docker's own semantics: the `grader inspect` stage graph.

Line parsing (continuations, heredocs, JSON forms, the escape directive) is done by Docker's own Go
parser through the ``dockerfile`` package, in ``source`` only. Everything Docker does after parsing
has no Python library, so it is written here, following BuildKit's Dockerfile frontend
(instructions/parse.go, dockerfile2llb/convert.go, shell/lex.go, linter/ruleset.go): meta ARG
expansion, stage names and bases, COPY --from / RUN --mount dependencies, --target, and the
build checks that can be decided without pulling images.

Where the classic builder of the grading engine (Docker 20.10) and BuildKit (what students run at
home) disagree, the graph follows BuildKit unless the engine's reading matters for grading, and the
difference is reported as a problem (rule ``requires-buildkit`` and friends) naming both.

The modules, in the order an analysis runs them: ``source`` (decoding, directives, physical lines
and the one wrapper of the Go parser), ``words`` (flags and mounts), ``expansion`` (BuildKit's
shell lexer), ``parse`` (per-instruction checks, stages started), ``graph`` (meta ARGs, bases,
--from dependencies, the words each built stage expands), ``rules`` (every problem, one function
per rule), then ``analysis`` ties them together; ``rewrite`` and ``render`` use the result.
``state`` is what one analysis accumulates.

Adding a rule takes one function and one corpus case: see ``grader.dockerfile.rules``.
"""

from grader.dockerfile.analysis import (
    MAX_DOCKERFILE_BYTES,
    analyze,
    analyze_file,
    instructions,
)
from grader.dockerfile.render import render_text
from grader.dockerfile.rewrite import rewrite_images

__all__ = [
    "MAX_DOCKERFILE_BYTES",
    "analyze",
    "analyze_file",
    "instructions",
    "render_text",
    "rewrite_images",
]
