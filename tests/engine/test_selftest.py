"""`grader rubric test` on the real engine: the bundled rubric against the bundled answers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import baseimages
from tests.conftest import EXAMPLES
from tests.engine.helpers import BUSYBOX, finish, grader


@pytest.mark.slow
def test_the_lesson_rubric_holds_on_the_bundled_examples(lesson_images):
    """What CI asks of the bundled rubric before any class is graded with it."""
    model, single = EXAMPLES / "model", EXAMPLES / "single-stage"
    code, out, err = finish(
        grader(
            "rubric",
            "test",
            "lesson-2.4",
            "--expect",
            f"full={model}",
            "--expect",
            f"below:40={single}",
            "--expect",
            f"fails:task1/multi-stage={single}",
            "--expect",
            f"passes:task1/output={single}",
            *baseimages.image_map_args(lesson_images),
        )
    )
    assert code == 0, out + err
    lines = out.splitlines()
    assert lines[0] == f"ok   full={model}: 100/100"
    assert any(line.startswith(f"ok   below:40={single}: 32.72/100") for line in lines), out
    assert f"ok   fails:task1/multi-stage={single}" in out
    assert f"ok   passes:task1/output={single}" in out


RUBRIC = f"""\
assignment: tiny
title: Tiny
defaults:
  image_map: {{"{BUSYBOX}": "{baseimages.BUSYBOX}"}}
tasks:
  - id: app
    title: App
    dockerfile: Dockerfile
    criteria:
      - {{id: greets, check: output, points: 5, contains: hello}}
      - {{id: size, check: image_size, points: 5, max: {{size}}}}
"""


@pytest.mark.parametrize(("limit", "status"), [("10MB", 0), ("100KB", 1)])
def test_a_broken_threshold_fails_naming_the_criterion(tmp_path, busybox_image, limit, status):
    """The reference answer is a 2 MB busybox image: a 100 KB limit takes its points away."""
    answer = tmp_path / "reference"
    answer.mkdir()
    (answer / "Dockerfile").write_text(f'FROM {BUSYBOX}\nCMD ["echo", "hello"]\n')
    rubric = tmp_path / "tiny.yaml"
    rubric.write_text(RUBRIC.replace("{size}", limit))
    code, out, err = finish(grader("rubric", "test", rubric, "--expect", f"full={answer}"))
    assert code == status, out + err
    if status:
        assert out.startswith(f"FAIL full={answer}: 5/10, expected full marks"), out
        [named] = [line for line in out.splitlines() if line.startswith("  ")]
        assert named.startswith("  app/size (image_size): 0/5")
        assert "greets" not in out
    else:
        assert out.startswith(f"ok   full={answer}: 10/10"), out


def test_a_missing_directory_is_refused_before_anything_is_built(tmp_path: Path):
    code, out, err = finish(
        grader("rubric", "test", "lesson-2.4", "--expect", f"full={tmp_path / 'nope'}")
    )
    assert code == 2
    assert out == ""
    assert "nope" in err
    assert len(err.strip().splitlines()) == 1
