"""Every error grader raises on purpose, and the exit status each one means.

The hierarchy::

    GraderError                  base; never raised itself                     exit 2
    ├── InputError               a file or argument the user gave is unusable   exit 2
    │   ├── DocumentError        a YAML file the user wrote is invalid          exit 2
    │   │   ├── RubricError      the rubric (all problems, located)             exit 2
    │   │   └── OverridesError   the overrides file (all problems, located)     exit 2
    │   ├── DockerfileError      Docker would refuse the Dockerfile             exit 2
    │   ├── StudentFileError     a student's file cannot be read as text        exit 2
    │   ├── ImportRefused        another tool's test file has fields refused    exit 2
    │   └── ResultsError         a results.json that is not ours or is damaged  exit 2
    ├── EnvironmentProblem       the machine cannot do the work                 exit 2
    │   └── EngineUnavailable    no Docker Engine answers                       exit 2
    ├── EngineError              the engine failed at a request mid-work        exit 2
    ├── RepositoryError          a student repository cannot be read or cloned  exit 2
    └── Interrupted              Ctrl-C or SIGTERM stopped the run              exit 130

Upstream exceptions (``docker.errors``, ``requests``, ``git.exc``) never leave the module that
talks to that library: ``engines/`` and ``repos.py`` translate them into these classes. Only
``cli.main()`` catches ``GraderError``; a batch turns the per-submission ones (``EngineError``,
``RepositoryError``, ``InputError`` about one submission's files) into an error row instead.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class GraderError(Exception):
    """Base class. ``str(error)`` is the one line printed on stderr."""

    exit_code = 2


class InputError(GraderError):
    """A file, path or argument that the user supplied cannot be used as it is."""


class StudentFileError(InputError):
    """A file of the student's that cannot be read as text; the message is one line naming it."""


class ImportRefused(InputError):
    """A file that cannot be read as criteria as it is; one line per refused field."""

    def __init__(self, problems: Sequence[str]) -> None:
        # names and values come from the file: a key may hold a line break
        self.problems = tuple(p.replace("\r", "\\r").replace("\n", "\\n") for p in problems)
        more = len(self.problems) - 1
        tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
        super().__init__(f"{self.problems[0]}{tail}")


class DocumentError(InputError):
    """An invalid file; carries every problem found, each naming its line and field."""

    what = "file"

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = tuple(problems)
        count = len(self.problems)
        head = f"{source}: invalid {self.what} ({count} problem{'s' if count != 1 else ''})"
        super().__init__("\n".join([head, *(f"{source}: {p}" for p in self.problems)]))


class RubricError(DocumentError):
    """An invalid rubric; every problem names its line, task, criterion and field."""

    what = "rubric"


class OverridesError(DocumentError):
    """An invalid overrides file; every problem names its line, student and field."""

    what = "overrides file"


class DockerfileError(InputError):
    """A Dockerfile that Docker itself would refuse to build."""


class ResultsError(InputError):
    """A results file that cannot be read back."""


class EnvironmentProblem(GraderError):
    """The machine lacks something the work needs."""


class EngineUnavailable(EnvironmentProblem):
    """No Docker Engine answers at the configured address."""


class EngineError(GraderError):
    """The engine refused or failed a request in the middle of the work."""


class RepositoryError(GraderError):
    """A student repository cannot be cloned, fetched or read."""


class Interrupted(GraderError):
    """The run was stopped; what was in flight was cancelled, so no grade may come of it."""

    exit_code = 130


def counterpart(
    exc: BaseException, table: Mapping[type[BaseException], type[GraderError]]
) -> type[GraderError] | None:
    """The class a translation table gives an upstream exception: its own, or its nearest base's."""
    for klass in type(exc).__mro__:
        target = table.get(klass)
        if target is not None:
            return target
    return None
