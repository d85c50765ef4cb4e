"""Every upstream exception is mapped at its boundary; every error class has an exit status."""

from __future__ import annotations

import inspect
from types import ModuleType

import docker.errors
import git.exc
import pytest
import requests
import requests.exceptions

from grader import errors, repos
from grader.engines import translate as engine


def exception_classes(module: ModuleType) -> list[type[BaseException]]:
    return [
        value
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, Exception)
        and not issubclass(value, Warning)
        and value.__module__.split(".")[0] == module.__name__.split(".")[0]
    ]


@pytest.mark.parametrize("module", [docker.errors, requests.exceptions])
def test_every_docker_and_requests_exception_is_mapped_explicitly(module):
    missing = [c.__name__ for c in exception_classes(module) if c not in engine._TRANSLATION]
    assert missing == []


def test_every_git_exception_is_mapped_explicitly():
    missing = [c.__name__ for c in exception_classes(git.exc) if c not in repos._TRANSLATION]
    assert missing == []


def test_engine_translation_gives_one_line():
    response = requests.Response()
    response.status_code = 500
    api_error = docker.errors.APIError("500 Server Error", response, explanation="no space\nleft")
    translated = engine.translate(api_error)
    assert isinstance(translated, errors.EngineError)
    assert str(translated) == "Docker Engine: no space left"
    gone = engine.translate(requests.exceptions.ConnectionError("connection refused"))
    assert isinstance(gone, errors.EngineUnavailable)
    assert str(gone) == "the Docker Engine stopped answering: connection refused"


def test_git_translation_names_the_repository():
    failure = git.exc.GitCommandError(["git", "clone"], 128, stderr="fatal: repository not found")
    translated = repos.translate(failure, "https://example.org/alice.git")
    assert isinstance(translated, errors.RepositoryError)
    assert str(translated).startswith("https://example.org/alice.git: ")
    assert "repository not found" in str(translated)


def test_an_unmapped_exception_is_not_swallowed():
    with pytest.raises(KeyError):
        engine.translate(KeyError("bug"))


def test_every_error_class_has_an_exit_status_and_a_docstring():
    classes = [
        c for c in vars(errors).values() if inspect.isclass(c) and issubclass(c, errors.GraderError)
    ]
    assert len(classes) >= 9
    for klass in classes:
        assert klass.exit_code == (130 if klass is errors.Interrupted else 2), klass
        assert klass.__doc__, klass
        assert klass.__name__ in errors.__doc__, f"{klass.__name__} missing from the hierarchy"


def test_rubric_error_lists_every_problem_on_its_own_line():
    error = errors.RubricError("r.yaml", ["line 2: a", "line 5: b"])
    assert str(error).splitlines() == [
        "r.yaml: invalid rubric (2 problems)",
        "r.yaml: line 2: a",
        "r.yaml: line 5: b",
    ]
