"""The speed features on the real engine: shared work, base images once, several engines, shards."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.engine.helpers import BUSYBOX, EngineProxy, finish, grade, make_class, rows

RUBRIC = """\
assignment: speed
title: Speed
defaults:
  image_map: {{"{image}": "{stand_in}"}}
tasks:
  - id: app
    title: App
    dockerfile: app/Dockerfile
    criteria:
      - {{check: output, points: 1, contains: hello}}
      - {{check: image_size, points: 1, max: 10MB}}
"""


def speed_class(tmp_path: Path, image: str, dockerfiles: dict[str, str]) -> tuple[Path, Path]:
    # each Dockerfile in a folder of its own: a context holding .git differs between clones
    nonce = secrets.token_hex(6)  # in a RUN: no build cache of an earlier test answers
    files = {
        s: {"app/Dockerfile": d.format(image=BUSYBOX, nonce=nonce)} for s, d in dockerfiles.items()
    }
    roster = make_class(tmp_path, files)
    rubric = tmp_path / "speed.yaml"
    rubric.write_text(textwrap.dedent(RUBRIC.format(image=BUSYBOX, stand_in=image)))
    return roster, rubric


TEMPLATE = 'FROM {image}\nRUN sleep 2 && : {nonce} && echo built > /b\nCMD ["echo", "hello"]\n'


def test_identical_submissions_are_built_once_and_timings_are_kept(tmp_path, busybox_image):
    roster, rubric = speed_class(
        tmp_path,
        busybox_image,
        {"a": TEMPLATE, "b": TEMPLATE, "c": TEMPLATE, "d": TEMPLATE.replace("built", "other")},
    )
    out = tmp_path / "out"
    status, _, err = finish(grade(tmp_path, rubric, roster, "--jobs", "2"))
    assert status == 0, err
    found = rows(out)
    assert all(row["score"] == 2.0 for row in found.values())
    reused = {s for s, row in found.items() if row["tasks"][0]["build"]["reused"]}
    assert len(reused) == 2  # of a, b, c one was built; d differs
    assert "d" not in reused
    for row in found.values():
        assert {"fetch", "analyze", "pack", "score"} <= set(row["timings"])
    built = [row for s, row in found.items() if s not in reused]
    assert all(row["timings"]["build"] >= 2 for row in built)


def test_a_missing_base_image_is_one_clear_message_without_a_build(tmp_path, busybox_image):
    roster, rubric = speed_class(
        tmp_path,
        busybox_image,
        {"good": TEMPLATE, "typo": 'FROM no-such-image.invalid/x:1\nCMD ["echo", "hello"]\n'},
    )
    out = tmp_path / "out"
    status, _, err = finish(grade(tmp_path, rubric, roster))
    assert status == 0, err
    typo = rows(out)["typo"]["tasks"][0]["build"]
    assert not typo["ok"]
    assert typo["error"].startswith("the base image no-such-image.invalid/x:1 is not available: ")
    assert "\n" not in typo["error"]


def test_jobs_spread_over_several_engines(tmp_path, busybox_image):
    roster, rubric = speed_class(
        tmp_path,
        busybox_image,
        {f"s{n}": TEMPLATE.replace("built", f"built {n}") for n in range(4)},
    )
    proxy = EngineProxy()
    proxy.start()
    try:
        out = tmp_path / "out"
        status, _, err = finish(
            grade(
                tmp_path,
                rubric,
                roster,
                "--jobs",
                "2",
                "--docker-host",
                "unix:///var/run/docker.sock",
                "--docker-host",
                proxy.url,
            )
        )
    finally:
        proxy.cut()
    assert status == 0, err
    assert all(row["score"] == 2.0 for row in rows(out).values())
    assert proxy.connections > 0  # the second engine took jobs too


def test_shards_graded_apart_and_merged(tmp_path, busybox_image):
    roster, rubric = speed_class(
        tmp_path,
        busybox_image,
        {f"s{n}": TEMPLATE.replace("sleep 2 && ", "") for n in range(5)},
    )
    outs = []
    for index in (1, 2):
        out = tmp_path / f"shard{index}"
        status, _, err = finish(grade(tmp_path, rubric, roster, "--shard", f"{index}/2", out=out))
        assert status == 0, err
        outs.append(out)
    assert sorted(rows(outs[0])) == ["s0", "s2", "s4"]
    assert sorted(rows(outs[1])) == ["s1", "s3"]
    merged = tmp_path / "merged"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "grader",
            "merge",
            *(str(o / "results.json") for o in outs),
            "--out",
            str(merged),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ},
    )
    assert done.returncode == 0, done.stderr
    assert sorted(rows(merged)) == ["s0", "s1", "s2", "s3", "s4"]
    assert (merged / "index.html").exists()
    assert json.loads((merged / "results.json").read_text())["assignment"] == "speed"


def test_prefetch_reports_each_base_image(tmp_path, go_images):
    model = Path(__file__).resolve().parents[1].parent / "examples" / "lesson-2.4" / "model"
    args = []
    for source, target in go_images.items():
        args += ["--image-map", f"{source}={target}"]
    done = subprocess.run(
        [sys.executable, "-m", "grader", "prefetch", str(model), "--rubric", "lesson-2.4", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    # Go and alpine are made locally; node and python are not mapped here and no registry answers
    assert "grader-test/golang:1.20: ready" in done.stdout
    assert "node:18-slim: not available: " in done.stdout
    assert done.returncode == 2
    assert done.stderr.startswith("grader: ")
