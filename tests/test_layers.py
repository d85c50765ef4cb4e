"""grader.layers on hand-made `docker save` archives, with figures worked out from dive's code.

Each expected figure is derived by hand from dive 0.13.1's algorithm (dive/filetree/efficiency.go):
every leaf of every layer is a reference to its path, sized by its tar header (a whiteout: 0, or
for a deleted directory the sizes under it in the layers below); efficiency is the sum over
paths of the smallest reference over the sum of all references.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from grader.errors import InputError
from grader.layers import Layer, efficiency, image_efficiency, read_layers
from grader.models.image import Efficiency, Waste


@dataclass(frozen=True)
class E:
    """One entry of a layer tar: a file (with ``size`` bytes of content), dir, symlink, hardlink."""

    path: str
    size: int = 0
    kind: str = "file"
    target: str = ""
    mode: int = 0o644


def f(path: str, size: int = 0) -> E:
    return E(path, size)


def d(path: str) -> E:
    return E(path, kind="dir", mode=0o755)


def sym(path: str, target: str) -> E:
    return E(path, kind="symlink", target=target)


def hard(path: str, target: str, size: int = 0) -> E:
    """A hardlink; ``size`` is what its header claims (Docker writes 0; no data follows)."""
    return E(path, size=size, kind="hardlink", target=target)


def wh(path: str) -> E:
    """The whiteout that deletes ``path``."""
    head, _, name = path.rpartition("/")
    return f(f"{head}/.wh.{name}" if head else f".wh.{name}")


def opq(directory: str) -> E:
    return f(f"{directory}/.wh..wh..opq")


_KINDS = {"file": tarfile.REGTYPE, "dir": tarfile.DIRTYPE, "symlink": tarfile.SYMTYPE}


def layer_tar(entries: list[E]) -> bytes:
    """A layer tar as Docker writes one (PAX where needed, real content for files)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for entry in entries:
            info = tarfile.TarInfo(entry.path)
            info.type = _KINDS.get(entry.kind, tarfile.LNKTYPE)
            info.mode, info.mtime, info.linkname = entry.mode, 1_700_000_000, entry.target
            info.size = entry.size
            content = io.BytesIO(b"x" * entry.size) if entry.kind == "file" else None
            tar.addfile(info, content)
    return out.getvalue()


def _add(
    tar: tarfile.TarFile,
    name: str,
    data: bytes = b"",
    kind: bytes = tarfile.REGTYPE,
    target: str = "",
) -> None:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mtime = kind, target, 1_700_000_000
    info.mode = 0o755 if kind == tarfile.DIRTYPE else 0o644
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    tar.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def docker_save(
    path: Path,
    layers: list[list[E]],
    *,
    oci: bool = False,
    gzipped: bool = False,
    order: list[int] | None = None,
    manifest_first: bool = False,
    links: dict[int, int] | None = None,
) -> Path:
    """A `docker save` archive: Docker 20.10's layout, or the OCI one Docker 25+ writes.

    ``order`` lists the manifest's layers by index (default: each once, in order); ``links``
    maps a layer index to an earlier one its layer.tar is a symlink to (docker save's dedupe).
    """
    order = list(range(len(layers))) if order is None else order
    links = links or {}
    blobs = [layer_tar(entries) for entries in layers]
    diff_ids = [f"sha256:{hashlib.sha256(blob).hexdigest()}" for blob in blobs]
    if gzipped:
        blobs = [gzip.compress(blob, mtime=0) for blob in blobs]
    digests = [hashlib.sha256(blob).hexdigest() for blob in blobs]
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": [diff_ids[i] for i in order]},
            "history": [{"created_by": f"RUN step {i}"} for i in order],
        }
    ).encode()
    config_digest = hashlib.sha256(config).hexdigest()
    if oci:
        names = [f"blobs/sha256/{digest}" for digest in digests]
        config_name = f"blobs/sha256/{config_digest}"
    else:
        ids = [
            hashlib.sha256(f"{i}:{digest}".encode()).hexdigest() for i, digest in enumerate(digests)
        ]
        names = [f"{layer_id}/layer.tar" for layer_id in ids]
        config_name = f"{config_digest}.json"
    manifest = json.dumps(
        [
            {
                "Config": config_name,
                "RepoTags": ["student/app:latest"],
                "Layers": [names[i] for i in order],
            }
        ]
    ).encode()
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        if manifest_first:
            _add(tar, "manifest.json", manifest)
        if oci:
            _add(tar, "blobs", kind=tarfile.DIRTYPE)
            _add(tar, "blobs/sha256", kind=tarfile.DIRTYPE)
            _add(tar, config_name, config)
            for name, blob in dict(zip(names, blobs, strict=True)).items():
                _add(tar, name, blob)
            _add(tar, "oci-layout", b'{"imageLayoutVersion": "1.0.0"}')
            _add(tar, "index.json", b'{"schemaVersion": 2, "manifests": []}')
        else:
            for index, (name, blob) in enumerate(zip(names, blobs, strict=True)):
                layer_id = name.split("/")[0]
                _add(tar, layer_id, kind=tarfile.DIRTYPE)
                _add(tar, f"{layer_id}/VERSION", b"1.0")
                _add(tar, f"{layer_id}/json", b"{}")
                if index in links:
                    target = f"../{names[links[index]]}"
                    _add(tar, name, kind=tarfile.SYMTYPE, target=target)
                else:
                    _add(tar, name, blob)
            _add(tar, config_name, config)
        if not manifest_first:
            _add(tar, "manifest.json", manifest)
        _add(tar, "repositories", b"{}")
    return path


def measure(path: Path, **kwargs: int) -> Efficiency:
    with path.open("rb") as stream:
        return image_efficiency(stream, **kwargs)


def figures(result: Efficiency) -> tuple[float, int, int, int, float, int]:
    return (
        result.efficiency,
        result.size_bytes,
        result.user_size_bytes,
        result.wasted_bytes,
        result.user_wasted,
        result.layers,
    )


def refs(result: Efficiency) -> list[tuple[str, int, int]]:
    return [(waste.path, waste.count, waste.bytes) for waste in result.inefficiencies]


OVERWRITE = [[d("etc"), f("etc/a", 100), f("etc/b", 10)], [d("etc"), f("etc/a", 300)]]


@pytest.mark.parametrize("oci", [False, True])
@pytest.mark.parametrize("manifest_first", [False, True])
def test_a_file_overwritten_in_a_later_layer(
    tmp_path: Path, oci: bool, manifest_first: bool
) -> None:
    # /etc/a is referenced twice (100 + 300), its smallest reference is 100; /etc/b once (10).
    # The directory /etc has children in both layers, so it is never a leaf and never counted.
    result = measure(
        docker_save(tmp_path / "x.tar", OVERWRITE, oci=oci, manifest_first=manifest_first)
    )
    assert figures(result) == (110 / 410, 410, 300, 400, 400 / 300, 2)
    assert refs(result) == [("/etc/a", 2, 400)]


def test_an_oci_layout_with_gzip_layers(tmp_path: Path) -> None:
    result = measure(docker_save(tmp_path / "x.tar", OVERWRITE, oci=True, gzipped=True))
    assert figures(result) == (110 / 410, 410, 300, 400, 400 / 300, 2)
    assert refs(result) == [("/etc/a", 2, 400)]


def test_a_file_deleted_by_a_whiteout(tmp_path: Path) -> None:
    # The whiteout of a file is a reference sized 0: /a.bin holds 1000 + 0, its minimum is 0.
    layers = [[f("a.bin", 1000), f("keep", 5)], [wh("a.bin"), f("new", 50)]]
    result = measure(docker_save(tmp_path / "x.tar", layers))
    assert figures(result) == (55 / 1055, 1055, 50, 1000, 1000 / 50, 2)
    assert refs(result) == [("/a.bin", 2, 1000)]


def test_a_directory_deleted_by_a_whiteout_is_sized_by_its_subtree(tmp_path: Path) -> None:
    # dive counts the whiteout of /d as every size under /d in the layers below: 100 + 200.
    # Nothing else references /d (it was no leaf in layer 0), so that alone wastes nothing:
    # /d's one reference is its own minimum and the score stays 1.
    deleted = [
        [d("d"), f("d/x", 100), d("d/sub"), f("d/sub/y", 200), f("top", 7)],
        [wh("d"), f("z", 3)],
    ]
    result = measure(docker_save(tmp_path / "x.tar", deleted))
    assert figures(result) == (1.0, 310, 3, 0, 0.0, 2)
    assert refs(result) == []
    # Re-created as an empty directory (a leaf, sized 0) the path has two references: 300 + 0.
    recreated = [*deleted[:1], [wh("d")], [d("d"), f("note", 4)]]
    result = measure(docker_save(tmp_path / "y.tar", recreated))
    assert figures(result) == (
        (100 + 200 + 7 + 0 + 4) / (100 + 200 + 7 + 300 + 4),
        311,
        4,
        300,
        300 / 4,
        3,
    )
    assert refs(result) == [("/d", 2, 300)]


def test_an_opaque_whiteout_is_dropped_as_dives_addpath_drops_it(tmp_path: Path) -> None:
    # The opaque marker deletes nothing in dive's model: /d/x is referenced twice (100 + 40).
    # /e holds only a marker in layer 1, so AddPath leaves /e behind as an empty leaf, which
    # with layer 0's empty directory /e makes a second, 0-byte, inefficiency.
    layers = [[d("d"), f("d/x", 100), d("e")], [d("d"), opq("d"), f("d/x", 40), opq("e")]]
    result = measure(docker_save(tmp_path / "x.tar", layers))
    assert figures(result) == (40 / 140, 140, 40, 140, 140 / 40, 2)
    assert refs(result) == [("/d/x", 2, 140), ("/e", 2, 0)]


def test_a_hardlink_counts_its_header_size(tmp_path: Path) -> None:
    # Docker writes hardlinks with size 0: /bin/alias is 0 + 30, /bin/big is counted once.
    layers = [
        [d("bin"), f("bin/big", 1000), hard("bin/alias", "bin/big")],
        [d("bin"), f("bin/alias", 30)],
    ]
    result = measure(docker_save(tmp_path / "x.tar", layers))
    assert figures(result) == (1000 / 1030, 1030, 30, 30, 1.0, 2)
    assert refs(result) == [("/bin/alias", 2, 30)]
    # A header that claims a size is believed, as Go's tar reader reports it (no data follows).
    claimed = [[f("a", 10), hard("b", "a", 500)], [f("b", 1)]]
    result = measure(docker_save(tmp_path / "y.tar", claimed))
    assert figures(result) == (11 / 511, 511, 1, 501, 501.0, 2)


def test_a_single_layer_image_wastes_nothing(tmp_path: Path) -> None:
    # No user layer: dive's userWastedPercent is 0/0 = NaN; grader reports 0.
    result = measure(docker_save(tmp_path / "x.tar", [[f("a", 10), f("b", 20), sym("c", "a")]]))
    assert figures(result) == (1.0, 30, 0, 0, 0.0, 1)


@pytest.mark.parametrize("oci", [False, True])
def test_the_same_layer_twice_in_the_manifest(tmp_path: Path, oci: bool) -> None:
    # Each listing is a layer of its own: /a is referenced twice, 10 + 10.
    result = measure(docker_save(tmp_path / "x.tar", [[f("a", 10)]], oci=oci, order=[0, 0]))
    assert figures(result) == (0.5, 20, 10, 20, 2.0, 2)
    assert refs(result) == [("/a", 2, 20)]


def test_a_layer_tar_that_is_a_symlink_reads_as_empty(tmp_path: Path) -> None:
    # docker save writes a repeated layer as a symlink to the first copy; dive reads the link
    # itself (no content), so that layer is empty and nothing is wasted.
    layers = [[f("a", 10)], [f("a", 10)]]
    result = measure(docker_save(tmp_path / "x.tar", layers, links={1: 0}))
    assert figures(result) == (1.0, 10, 0, 0, 0.0, 2)


def test_a_whiteout_of_a_path_no_lower_layer_has_stops_that_layer(tmp_path: Path) -> None:
    # dive's visit of layer 1 fails at /ghost and stops: /zz (after it in name order) is never
    # seen, and /ghost stays in the map with its minimum at -1, so the score is (10 - 1) / 10.
    layers = [[f("a", 10)], [wh("ghost"), f("zz", 5)]]
    result = measure(docker_save(tmp_path / "x.tar", layers))
    assert figures(result) == (0.9, 15, 5, 0, 0.0, 2)


def test_a_whiteout_in_the_first_layer_is_looked_up_in_that_layer(tmp_path: Path) -> None:
    # .wh.x sorts before x: the whiteout (0) finds x in layer 0 itself, then x adds 10.
    result = measure(docker_save(tmp_path / "x.tar", [[wh("x"), f("x", 10)]]))
    assert figures(result) == (0.0, 10, 0, 10, 0.0, 1)
    assert refs(result) == [("/x", 2, 10)]


def test_at_most_fifty_inefficiencies_most_wasteful_first(tmp_path: Path) -> None:
    sizes = range(1, 61)
    layers = [[f(f"f{size:02}", size) for size in sizes]] * 2
    result = measure(docker_save(tmp_path / "x.tar", layers))
    assert figures(result) == (0.5, 3660, 1830, 3660, 2.0, 2)  # all 60 count as waste
    assert refs(result) == [(f"/f{size:02}", 2, 2 * size) for size in range(60, 10, -1)]


def test_the_measure_is_pure_over_layers() -> None:
    assert figures(efficiency([])) == (1.0, 0, 0, 0, 0.0, 0)
    lower, upper = Layer("0"), Layer("1")
    lower.add("./usr/bin/tool", 70)
    lower.add("usr/bin", 0, is_dir=True)
    upper.add("/usr/bin/tool", 90)
    upper.add("usr/bin/.", 0, is_dir=True)
    upper.add(".", 0, is_dir=True)  # "." is skipped, as dive's getFileList skips it
    result = efficiency([lower, upper])
    assert figures(result) == (70 / 160, 160, 90, 160, 160 / 90, 2)
    assert result.inefficiencies == [Waste(path="/usr/bin/tool", count=2, bytes=160)]


def test_read_layers_keeps_manifest_order(tmp_path: Path) -> None:
    path = docker_save(tmp_path / "x.tar", [[f("a", 1)], [f("b", 2), f("c", 3)]], order=[1, 0])
    with path.open("rb") as stream:
        layers = read_layers(stream)
    assert [(layer.size, layer.entries) for layer in layers] == [(5, 2), (1, 1)]


def _one_line(error: pytest.ExceptionInfo[InputError]) -> str:
    message = str(error.value)
    assert message
    assert "\n" not in message
    return message


def test_a_truncated_archive_is_refused_in_one_line(tmp_path: Path) -> None:
    whole = docker_save(tmp_path / "x.tar", OVERWRITE).read_bytes()
    cut = tmp_path / "cut.tar"
    for end in [*range(1, len(whole) - 2048, 997), 511, 513, 1536]:
        cut.write_bytes(whole[:end])
        with pytest.raises(InputError) as error:
            measure(cut)
        _one_line(error)


@pytest.mark.parametrize("content", [b"", b"not a tar at all\n" * 64, b"\x1f\x8b" + bytes(600)])
def test_garbage_is_refused_in_one_line(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "x.tar"
    path.write_bytes(content)
    with pytest.raises(InputError) as error:
        measure(path)
    assert "cannot be read" in _one_line(error) or "manifest" in _one_line(error)


def test_a_layer_that_is_not_a_tar_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.tar"
    with tarfile.open(path, "w") as tar:
        _add(tar, "abc/layer.tar", b"{}" * 400)
        _add(tar, "manifest.json", b'[{"Config": "c.json", "Layers": ["abc/layer.tar"]}]')
    with pytest.raises(InputError, match="cannot be read"):
        measure(path)


def test_the_entry_cap_stops_the_reading(tmp_path: Path) -> None:
    path = docker_save(tmp_path / "x.tar", [[f(f"f{i}", 1) for i in range(50)]])
    with pytest.raises(InputError, match="more than 40 tar entries") as error:
        measure(path, max_entries=40)
    _one_line(error)
    assert measure(path, max_entries=60).size_bytes == 50
    # A layer listed many times is work too: the cap counts it each time.
    many = docker_save(tmp_path / "y.tar", [[f(f"f{i}", 1) for i in range(10)]], order=[0] * 8)
    with pytest.raises(InputError, match="more than 70 tar entries"):
        measure(many, max_entries=70)


def _archive(path: Path, manifest: bytes | None, blobs: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w") as tar:
        for name, blob in blobs.items():
            _add(tar, name, blob)
        if manifest is not None:
            _add(tar, "manifest.json", manifest)
    return path


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        (None, "no manifest.json"),
        (b"{", "not JSON"),
        (b"[]", "lists no image"),
        (b'[{"Config": "c.json", "Layers": "l.tar"}]', "no list of layers"),
        (b'[{"Config": "other.json", "Layers": ["l.tar"]}]', "no image config"),
        (b'[{"Config": "c.json", "Layers": ["l.tar", "gone.tar"]}]', "lacks the layer 'gone.tar'"),
    ],
)
def test_a_manifest_dive_could_not_use_is_refused(
    tmp_path: Path, manifest: bytes | None, message: str
) -> None:
    path = _archive(tmp_path / "x.tar", manifest, {"c.json": b"{}", "l.tar": layer_tar([f("a")])})
    with pytest.raises(InputError, match=message) as error:
        measure(path)
    _one_line(error)


def test_manifest_keys_match_in_any_case_as_go_matches_them(tmp_path: Path) -> None:
    manifest = b'[{"config": "c.json", "LAYERS": ["l.tar"]}]'
    path = _archive(
        tmp_path / "x.tar", manifest, {"c.json": b"{}", "l.tar": layer_tar([f("a", 3)])}
    )
    assert figures(measure(path)) == (1.0, 3, 0, 0, 0.0, 1)


def test_a_zstd_layer_is_refused_in_one_line_when_python_cannot_read_it(tmp_path: Path) -> None:
    if hasattr(tarfile, "zstd") or __import__("sys").version_info >= (3, 14):
        pytest.skip("this Python reads zstd")
    blobs = {"blobs/sha256/c": b'{"rootfs": {}}', "blobs/sha256/l": b"\x28\xb5\x2f\xfd" + bytes(64)}
    manifest = b'[{"Config": "blobs/sha256/c", "Layers": ["blobs/sha256/l"]}]'
    with pytest.raises(InputError, match="zstd") as error:
        measure(_archive(tmp_path / "x.tar", manifest, blobs))
    _one_line(error)


def test_a_blob_no_format_reads_is_ignored_unless_the_manifest_needs_it(tmp_path: Path) -> None:
    blobs = {
        "blobs/sha256/c": b'  {"rootfs": {}}',
        "blobs/sha256/l": layer_tar([f("a", 4)]),
        "blobs/sha256/junk": b"\x00\x01junk" * 200,
    }
    manifest = b'[{"Config": "blobs/sha256/c", "Layers": ["blobs/sha256/l"]}]'
    assert measure(_archive(tmp_path / "x.tar", manifest, blobs)).size_bytes == 4
    manifest = b'[{"Config": "blobs/sha256/c", "Layers": ["blobs/sha256/junk"]}]'
    with pytest.raises(InputError, match="lacks the layer"):
        measure(_archive(tmp_path / "y.tar", manifest, blobs))


def test_a_global_pax_header_in_a_layer_is_refused_as_dive_refuses_it(tmp_path: Path) -> None:
    out = io.BytesIO()
    with tarfile.open(
        fileobj=out, mode="w", format=tarfile.PAX_FORMAT, pax_headers={"comment": "hi"}
    ) as tar:
        _add(tar, "a", b"x")
    manifest = b'[{"Config": "c.json", "Layers": ["l.tar"]}]'
    path = _archive(tmp_path / "x.tar", manifest, {"c.json": b"{}", "l.tar": out.getvalue()})
    with pytest.raises(InputError, match="global PAX header"):
        measure(path)
