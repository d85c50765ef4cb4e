"""Path types a rubric may use: repository-relative and image-absolute, checked at load time."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Annotated

from pydantic import AfterValidator


def _repo_relative(value: str) -> str:
    path = PurePosixPath(value)
    if not value or path.is_absolute() or ".." in path.parts or "\\" in value:
        raise ValueError(f"{value!r} must be a relative path inside the repository, using '/'")
    return str(path)


def _image_absolute(value: str) -> str:
    if not value.startswith("/") or ".." in PurePosixPath(value).parts:
        raise ValueError(f"{value!r} must be an absolute path in the image, such as /usr/bin/gcc")
    return value


RepoPath = Annotated[str, AfterValidator(_repo_relative)]
ImagePath = Annotated[str, AfterValidator(_image_absolute)]
