"""The class fixture (a real class graded on the real engine) and a hostile copy of it."""

from __future__ import annotations

import pytest

from grader.models.results import Results
from grader.results import read_results
from tests.export.helpers import CLASS, HOSTILE_NAMES, with_rows


@pytest.fixture(scope="session")
def klass() -> Results:
    return read_results(CLASS)


@pytest.fixture(scope="session")
def hostile(klass: Results) -> Results:
    return with_rows(klass, **{s: {"name": n} for s, n in HOSTILE_NAMES.items()})
