"""The engine's boundary: docker-py, requests and socket errors become ``grader.errors``.

Every exception class docker-py and requests define is mapped explicitly (a test enumerates both
modules, so a new upstream class fails the suite until it is placed here). Nothing upstream
leaks past ``grader.engines``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

import docker
import docker.errors
import requests
import requests.exceptions

from grader.capped import one_line
from grader.errors import (
    EngineError,
    EngineUnavailable,
    EnvironmentProblem,
    GraderError,
    counterpart,
)

_TRANSLATION: Mapping[type[BaseException], type[GraderError]] = {
    docker.errors.DockerException: EngineError,
    docker.errors.APIError: EngineError,
    docker.errors.NotFound: EngineError,
    docker.errors.ImageNotFound: EngineError,
    docker.errors.InvalidVersion: EnvironmentProblem,
    docker.errors.InvalidRepository: EngineError,
    docker.errors.InvalidConfigFile: EnvironmentProblem,
    docker.errors.InvalidArgument: EngineError,
    docker.errors.DeprecatedMethod: EngineError,
    docker.errors.TLSParameterError: EnvironmentProblem,
    docker.errors.NullResource: EngineError,
    docker.errors.ContainerError: EngineError,
    docker.errors.StreamParseError: EngineError,
    docker.errors.BuildError: EngineError,
    docker.errors.ImageLoadError: EngineError,
    docker.errors.MissingContextParameter: EnvironmentProblem,
    docker.errors.ContextAlreadyExists: EnvironmentProblem,
    docker.errors.ContextException: EnvironmentProblem,
    docker.errors.ContextNotFound: EnvironmentProblem,
    requests.exceptions.RequestException: EngineError,
    requests.exceptions.InvalidJSONError: EngineError,
    requests.exceptions.JSONDecodeError: EngineError,
    requests.exceptions.HTTPError: EngineError,
    requests.exceptions.ConnectionError: EngineUnavailable,
    requests.exceptions.ProxyError: EngineUnavailable,
    requests.exceptions.SSLError: EngineUnavailable,
    requests.exceptions.Timeout: EngineError,
    requests.exceptions.ConnectTimeout: EngineUnavailable,
    requests.exceptions.ReadTimeout: EngineError,
    requests.exceptions.URLRequired: EnvironmentProblem,
    requests.exceptions.TooManyRedirects: EngineError,
    requests.exceptions.MissingSchema: EnvironmentProblem,
    requests.exceptions.InvalidSchema: EnvironmentProblem,
    requests.exceptions.InvalidURL: EnvironmentProblem,
    requests.exceptions.InvalidHeader: EngineError,
    requests.exceptions.InvalidProxyURL: EnvironmentProblem,
    requests.exceptions.ChunkedEncodingError: EngineError,
    requests.exceptions.ContentDecodingError: EngineError,
    requests.exceptions.StreamConsumedError: EngineError,
    requests.exceptions.RetryError: EngineError,
    requests.exceptions.UnrewindableBodyError: EngineError,
    OSError: EngineError,
}


def describe(exc: BaseException) -> str:
    """An upstream error in one line: the engine's own explanation where it gave one."""
    if isinstance(exc, docker.errors.APIError):
        text = str(exc.explanation or exc)
    else:
        text = str(exc) or type(exc).__name__
    return one_line(text)


DEFAULT_SOCKET = "unix:///var/run/docker.sock"
_UNREACHABLE = (
    ("FileNotFoundError", "no such socket"),
    ("ConnectionRefused", "connection refused"),
    ("Connection refused", "connection refused"),
    ("PermissionError", "permission denied: join the docker group or use sudo"),
    ("Permission denied", "permission denied: join the docker group or use sudo"),
    ("Name or service not known", "unknown host"),
    ("timed out", "timed out"),
)


def why_unreachable(exc: BaseException) -> str:
    """The few words that say why an engine address did not answer."""
    text = str(exc)
    for needle, words in _UNREACHABLE:
        if needle in text:
            return words
    return describe(exc)


def translate(exc: BaseException) -> GraderError:
    """The ``grader.errors`` counterpart of an upstream exception, with a one-line message."""
    if isinstance(exc, GraderError):
        return exc
    target = counterpart(exc, _TRANSLATION)
    if target is None:
        raise exc
    if target is EngineUnavailable:
        return EngineUnavailable(f"the Docker Engine stopped answering: {describe(exc)}")
    return target(f"Docker Engine: {describe(exc)}")


@contextlib.contextmanager
def boundary() -> Iterator[None]:
    """Translate what the block raises from docker-py, requests or a socket."""
    try:
        yield
    except GraderError:
        raise
    except (docker.errors.DockerException, requests.exceptions.RequestException, OSError) as exc:
        raise translate(exc) from exc
