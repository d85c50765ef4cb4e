"""The image's config and file modes, read from what the engine answers (recorded)."""

from __future__ import annotations

import pytest

from grader.engines.contents import config_of, go_mode_string


@pytest.mark.parametrize(
    ("mode", "written"),
    [
        (0o755, "-rwxr-xr-x"),
        ((1 << 31) | 0o755, "drwxr-xr-x"),
        ((1 << 27) | 0o777, "Lrwxrwxrwx"),
        ((1 << 23) | 0o755, "urwxr-xr-x"),  # setuid: Go writes a letter, not an s
        ((1 << 31) | (1 << 20) | 0o1777 & 0o777, "dtrwxrwxrwx"),
        ((1 << 26) | (1 << 21) | 0o666, "Dcrw-rw-rw-"),
        (0, "----------"),
    ],
)
def test_modes_are_written_as_go_writes_them(mode, written):
    assert go_mode_string(mode) == written


def test_config_of_an_inspected_image():
    inspected = {
        "User": "app",
        "ExposedPorts": {"8080/tcp": {}, "53/udp": {}},
        "Env": ["PATH=/usr/bin", "EMPTY=", "EQ=a=b"],
        "Cmd": None,
        "Entrypoint": ["greet"],
        "Labels": None,
        "WorkingDir": "/srv",
        "Healthcheck": {"Test": ["CMD", "greet"]},
        "Volumes": {"/data": {}},
    }
    config = config_of(inspected)
    assert config.user == "app"
    assert config.exposed_ports == ["53/udp", "8080/tcp"]
    assert config.env == {"PATH": "/usr/bin", "EMPTY": "", "EQ": "a=b"}
    assert config.cmd is None
    assert config.entrypoint == ["greet"]
    assert config.labels == {}
    assert config.healthcheck == ["CMD", "greet"]
    assert config.volumes == ["/data"]
    assert config.shell is None
    assert config_of({}).user == ""
