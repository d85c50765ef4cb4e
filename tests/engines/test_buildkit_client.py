"""Finding the client BuildKit builds go through, tried on real programs standing in for docker."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from grader.engines.buildkit import find_client


def _cli(folder: Path, version: str, *, buildx: str | None = None) -> Path:
    """A `docker` that answers --version (and `buildx version` when it has the plugin)."""
    folder.mkdir(parents=True)
    script = folder / "docker"
    plugin = f'echo "github.com/docker/buildx v{buildx} 1234"; exit 0' if buildx else "exit 1"
    script.write_text(
        "#!/bin/sh\n"
        f'if [ "$1" = --version ]; then echo "Docker version {version}, build abc"; exit 0; fi\n'
        f'if [ "$1 $2" = "buildx version" ]; then {plugin}; fi\n'
        'if [ "$1 $2 $3" = "buildx build --help" ]; then echo "--progress string (rawjson)"; fi\n'
        "exit 1\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


def test_a_new_cli_without_buildx_is_passed_over_for_an_old_one(tmp_path):
    new = _cli(tmp_path / "new", "28.2.2")
    old = _cli(tmp_path / "old", "20.10.24+dfsg1")
    env = {**os.environ, "PATH": f"{new.parent}{os.pathsep}{old.parent}"}
    found = find_client(None, env)
    assert not isinstance(found, str)
    assert (found.path, found.buildx) == (str(old), None)
    assert found.argv() == [str(old), "build"]
    assert "DOCKER_BUILDKIT=1" in found.describe()


def test_buildx_is_preferred_and_says_whether_it_speaks_raw_json(tmp_path):
    cli = _cli(tmp_path / "x", "27.0.1", buildx="0.17.1")
    found = find_client(str(cli), os.environ)
    assert not isinstance(found, str)
    assert (found.buildx, found.rawjson) == ("0.17.1", True)
    assert found.argv() == [str(cli), "buildx", "build", "--load"]


def test_no_usable_client_is_a_reason_naming_each_one(tmp_path):
    new = _cli(tmp_path / "new", "28.2.2")
    found = find_client(str(new), os.environ)
    assert isinstance(found, str)
    assert f"{new}: docker 28.2.2 has no buildx plugin" in found
    missing = find_client(str(tmp_path / "nothing"), os.environ)
    assert isinstance(missing, str)
    assert "not a Docker CLI" in missing
