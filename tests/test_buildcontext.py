"""The build context archive: what goes in, what never does, and the caps."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest

from grader.buildcontext import pack
from grader.errors import InputError

BIG = 10**9


def members(packed) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=packed.archive) as tar:
        return {m.name: m for m in tar.getmembers()}


def read(packed, name: str) -> bytes:
    packed.archive.seek(0)
    with tarfile.open(fileobj=packed.archive) as tar:
        handle = tar.extractfile(name)
        assert handle is not None
        return handle.read()


def make(tmp_path: Path) -> Path:
    ctx = tmp_path / "task1"
    (ctx / "src").mkdir(parents=True)
    (ctx / "Dockerfile").write_text("FROM scratch\n")
    (ctx / "main.go").write_text("package main\n")
    (ctx / "src" / "a.txt").write_text("a")
    return ctx


def test_the_context_and_its_dockerfile(tmp_path):
    ctx = make(tmp_path)
    packed = pack(ctx, ctx / "Dockerfile", max_bytes=BIG, max_files=100)
    assert packed.dockerfile == "Dockerfile"
    assert set(members(packed)) == {"Dockerfile", "main.go", "src", "src/a.txt"}
    assert packed.files == 4


def test_dockerignore_is_honoured_but_never_drops_the_dockerfile(tmp_path):
    ctx = make(tmp_path)
    (ctx / ".dockerignore").write_text("# comment\nsrc\nDockerfile\n")
    packed = pack(ctx, ctx / "Dockerfile", max_bytes=BIG, max_files=100)
    assert set(members(packed)) == {".dockerignore", "Dockerfile", "main.go"}


def test_symlinks_go_in_as_links_never_as_what_they_point_at(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("host secret")
    outside = tmp_path / "outside-dir"
    outside.mkdir()
    (outside / "inner").write_text("also secret")
    ctx = make(tmp_path)
    (ctx / "link").symlink_to(secret)
    (ctx / "dirlink").symlink_to(outside)
    packed = pack(ctx, ctx / "Dockerfile", max_bytes=BIG, max_files=100)
    entries = members(packed)
    assert entries["link"].issym()
    assert entries["link"].linkname == str(secret)
    assert entries["dirlink"].issym()
    assert "dirlink/inner" not in entries
    packed.archive.seek(0)
    archive = packed.archive.read()
    assert b"host secret" not in archive
    assert b"also secret" not in archive


def test_special_files_are_left_out(tmp_path):
    ctx = make(tmp_path)
    os.mkfifo(ctx / "fifo")
    packed = pack(ctx, ctx / "Dockerfile", max_bytes=BIG, max_files=100)
    assert "fifo" not in members(packed)


def test_a_dockerfile_outside_the_context_is_added_under_a_hidden_name(tmp_path):
    ctx = make(tmp_path)
    other = tmp_path / "Dockerfile.other"
    other.write_text("FROM busybox\n")
    packed = pack(ctx, other, max_bytes=BIG, max_files=100)
    assert packed.dockerfile.startswith(".dockerfile.")
    assert read(packed, packed.dockerfile) == b"FROM busybox\n"
    ignore = read(packed, ".dockerignore").decode().split()
    assert packed.dockerfile in ignore
    assert ".dockerignore" in ignore


def test_replaced_dockerfile_text_keeps_the_original_in_place(tmp_path):
    ctx = make(tmp_path)
    packed = pack(
        ctx, ctx / "Dockerfile", dockerfile_text=b"FROM mirror/x\n", max_bytes=BIG, max_files=100
    )
    assert read(packed, packed.dockerfile) == b"FROM mirror/x\n"
    assert read(packed, "Dockerfile") == b"FROM scratch\n"


def test_caps_on_files_and_bytes(tmp_path):
    ctx = make(tmp_path)
    with pytest.raises(InputError, match="more than 2 files"):
        pack(ctx, ctx / "Dockerfile", max_bytes=BIG, max_files=2)
    (ctx / "big.bin").write_bytes(b"x" * 5000)
    with pytest.raises(InputError, match="larger than 4,000 bytes"):
        pack(ctx, ctx / "Dockerfile", max_bytes=4000, max_files=100)


def test_identical_contexts_have_one_digest_wherever_they_are(tmp_path):
    one, two = make(tmp_path / "a"), make(tmp_path / "b")
    os.utime(two / "main.go", (1, 1))  # another clone: other times, same content
    digest = pack(one, one / "Dockerfile", max_bytes=BIG, max_files=100).digest
    assert pack(two, two / "Dockerfile", max_bytes=BIG, max_files=100).digest == digest
    rewritten = pack(
        one, one / "Dockerfile", dockerfile_text=b"FROM x\n", max_bytes=BIG, max_files=100
    )
    again = pack(two, two / "Dockerfile", dockerfile_text=b"FROM x\n", max_bytes=BIG, max_files=100)
    assert rewritten.digest == again.digest != digest
    (two / "main.go").write_text("package main // changed\n")
    assert pack(two, two / "Dockerfile", max_bytes=BIG, max_files=100).digest != digest
    (one / "main.go").chmod(0o755)
    assert pack(one, one / "Dockerfile", max_bytes=BIG, max_files=100).digest != digest
