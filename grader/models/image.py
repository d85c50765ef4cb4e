"""What the engine tells about a built image beyond its size: its config, its files, its layers.

Facts the checks judge, gathered once per task; not part of results.json (criteria put what
a student needs to see into their evidence, through the sanitiser like all student text).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from grader.models.base import Frozen


class ImageConfig(Frozen):
    """The image's config, as `docker image inspect` shows it under Config."""

    user: str = ""
    exposed_ports: list[str] = Field(default_factory=list, description="e.g. '8080/tcp'.")
    entrypoint: list[str] | None = None
    cmd: list[str] | None = None
    env: dict[str, str] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)
    workdir: str = ""
    healthcheck: list[str] | None = Field(
        default=None, description="The test, e.g. ['CMD', 'app', 'health'] or ['NONE']."
    )
    volumes: list[str] = Field(default_factory=list)
    shell: list[str] | None = Field(default=None, description="SHELL, when one was set.")


FileType = Literal["file", "dir", "symlink", "hardlink", "other"]


class FileFacts(Frozen):
    """One path of the image, looked up without running it.

    The stat is the path's own (a symlink is itself). ``text`` is the content of the file it
    names, symlinks followed inside the image, read up to a cap.
    """

    path: str
    exists: bool
    type: FileType | None = None
    mode: int | None = Field(default=None, description="Permission bits with setuid/setgid/sticky.")
    mode_string: str | None = Field(
        default=None, description="The mode as Go writes it (container-structure-test): -rwxr-xr-x."
    )
    uid: int | None = None
    gid: int | None = None
    size: int | None = None
    link_target: str | None = None
    resolved: str | None = Field(default=None, description="The file read, symlinks followed.")
    text: str | None = Field(default=None, description="The content read, or None if not read.")
    truncated: bool = False
    error: str | None = Field(default=None, description="Why the content could not be read.")


class Waste(Frozen):
    """A path that more than one layer holds: dive's inefficiency."""

    path: str
    count: int = Field(description="Layers holding it (or its whiteout).")
    bytes: int = Field(description="Bytes all of them hold for it (dive's cumulative size).")


class Efficiency(Frozen):
    """dive's measures of an image's layers."""

    efficiency: float = Field(description="Bytes the final files need over bytes held, 0..1.")
    size_bytes: int = Field(description="Sum of the layers' file sizes.")
    user_size_bytes: int = Field(description="The same without the first layer.")
    wasted_bytes: int = Field(description="Bytes of every path held by more than one layer.")
    user_wasted: float = Field(description="wasted_bytes / user_size_bytes (0 when no user bytes).")
    layers: int
    inefficiencies: list[Waste] = Field(
        default_factory=list, description="The most wasteful paths first (at most 50)."
    )
