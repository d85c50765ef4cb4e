"""The graded fixture class, loaded once, and helpers to look into rendered pages."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from grader.models.results import Results, SubmissionResult
from grader.results import read_results

CLASS_RESULTS = Path(__file__).resolve().parent.parent / "data" / "lesson-2.4-class.json"


@pytest.fixture(scope="session")
def klass() -> Results:
    return read_results(CLASS_RESULTS)


def submission_of(results: Results, student: str) -> SubmissionResult:
    return next(s for s in results.submissions if s.student == student)


class Outline(HTMLParser):
    """Tags, ids and references of a page: enough to check structure without a browser."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.ids: list[str] = []
        self.text: list[str] = []
        self._stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if attributes.get("id"):
            self.ids.append(attributes["id"])

    def handle_data(self, data):
        self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [a for t, a in self.tags if t == tag]


def outline(html: str) -> Outline:
    parser = Outline()
    parser.feed(html)
    parser.close()
    return parser
