"""Two removals of one container racing: the second waits for the first rather than leaving it."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import docker.errors
import requests

from grader.engines.docker import Engine


class _Api:
    """The engine's answers when another removal of the container is already under way."""

    def __init__(self, listed_for: int) -> None:
        self.listed_for = listed_for  # inspections that still find the container
        self.inspections = 0

    def remove_container(self, cid: str, **_: Any) -> None:
        response = requests.Response()
        response.status_code = 409
        raise docker.errors.APIError(
            "409 Client Error",
            response=response,
            explanation=f"removal of container {cid} is already in progress",
        )

    def inspect_container(self, cid: str) -> dict[str, str]:
        self.inspections += 1
        if self.inspections > self.listed_for:
            raise docker.errors.NotFound(f"No such container: {cid}")
        return {"Id": cid}


def test_a_removal_already_in_progress_is_waited_for():
    engine = Engine()
    api = _Api(listed_for=3)
    engine._client = SimpleNamespace(api=api)  # type: ignore[assignment]
    engine._remove_container("db94228b2fd6")
    assert api.inspections == 4  # three that still found it, and the one that did not


def test_another_conflict_is_not_waited_for(caplog):
    class Refusing(_Api):
        def remove_container(self, cid: str, **_: Any) -> None:
            response = requests.Response()
            response.status_code = 409
            raise docker.errors.APIError("409", response=response, explanation="conflict")

    engine = Engine()
    api = Refusing(listed_for=3)
    engine._client = SimpleNamespace(api=api)  # type: ignore[assignment]
    engine._remove_container("db94228b2fd6")
    assert api.inspections == 0
    assert "could not remove container db94228b2fd6" in caplog.text
