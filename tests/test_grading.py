"""The grading machinery that needs no engine: shared work, stopwatches, base images, merges."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from grader.errors import InputError
from grader.grading import BuildCache, Stopwatch, base_images, substitute
from grader.results import merge
from grader.rubrics import load
from tests import factories as f
from tests.conftest import EXAMPLES


def test_the_cache_computes_once_and_hands_the_rest_the_same_answer():
    cache = BuildCache()
    calls: list[int] = []
    release = threading.Event()

    def compute():
        calls.append(1)
        release.wait(5)
        return "facts"

    answers: list[tuple[object, bool]] = []
    threads = [
        threading.Thread(target=lambda: answers.append(cache.get("k", compute))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    time.sleep(0.1)
    release.set()
    for thread in threads:
        thread.join(5)
    assert len(calls) == 1
    assert sorted(answers, key=lambda a: a[1]) == [("facts", False)] + [("facts", True)] * 3
    assert cache.get("other", lambda: "more") == ("more", False)


def test_a_failed_computation_is_not_kept():
    cache = BuildCache()

    def broken():
        raise RuntimeError("engine gone")

    with pytest.raises(RuntimeError):
        cache.get("k", broken)
    assert cache.get("k", lambda: "second try") == ("second try", False)


def test_the_stopwatch_sums_phases():
    clock = Stopwatch()
    for _ in range(2):
        with clock.time("build"):
            time.sleep(0.01)
    with pytest.raises(ValueError, match="stopped"), clock.time("run"):
        raise ValueError("stopped")
    assert clock.totals["build"] >= 0.02
    assert set(clock.totals) == {"build", "run"}


def test_base_images_of_a_model_answer_mapped_and_unmapped():
    loaded = load("lesson-2.4")
    assert base_images(loaded, [EXAMPLES / "model"], {}) == [
        "golang:1.20",
        "node:18",
        "node:18-slim",
        "python:3.11-slim",
    ]
    mapped = base_images(loaded, [EXAMPLES / "model"], {"golang:1.20": "mirror/go:1"})
    assert "mirror/go:1" in mapped
    assert "golang:1.20" not in mapped
    assert base_images(loaded, [Path("/nonexistent")], {}) == []


def test_substitution_knows_two_spellings_of_one_image():
    image_map = {"golang:1.20": "mirror/go:1", "alpine": "mirror/alpine"}
    assert substitute("docker.io/library/golang:1.20", image_map) == "mirror/go:1"
    assert substitute("alpine:latest", image_map) == "mirror/alpine"
    assert substitute("golang:1.21", image_map) is None
    assert substitute("not a reference!", image_map) is None


def test_merging_shards():
    one = f.results([f.submission("alice", [f.task("t", [f.criterion("a", True)])])])
    two = f.results([f.submission("bob", [f.task("t", [f.criterion("a", False)])])])
    merged = merge([two, one])
    assert [r.student for r in merged.submissions] == ["alice", "bob"]
    other_rubric = two.model_copy(update={"rubric_sha256": "cd" * 32})
    with pytest.raises(InputError, match="differ in rubric_sha256"):
        merge([one, other_rubric])
    with pytest.raises(InputError, match="no results"):
        merge([])
