"""written_reduction: the sizes written in the student's file against the sizes measured."""

from fractions import Fraction

import pytest

from grader.checks import size_reduction, written_reduction
from grader.checks.base import BuildSpec, OtherBuild
from grader.checks.written_reduction import MAX_SIZES, find_sizes, matches
from grader.files import MAX_TEXT_BYTES
from grader.models.results import BuildResult
from tests.checks.helpers import criterion, facts, task

OK = BuildResult(ok=True, seconds=1, log_tail="")
FAILED = BuildResult(ok=False, seconds=1, log_tail="", error="Step 2/4 : RUN go build: exit 1")
BASELINE = 830_000_000  # 830.0 MB, 791.6 MiB
FINAL = 2_000_000  # 2.0 MB, 1.9 MiB


def reduction(**fields):
    return criterion(
        check="written_reduction",
        file="task5/REDUCTION.md",
        baseline="task1/Dockerfile.single",
        **fields,
    )


def judge(tmp_path, text, *, c=None, baseline=BASELINE, final=FINAL, built=OK):
    c = c or reduction()
    if text is not None:
        path = tmp_path / "task5" / "REDUCTION.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
    builds = {written_reduction.spec(c): OtherBuild(result=built, size_bytes=baseline)}
    return written_reduction.evaluate(c, facts(task(c), size=final, builds=builds, repo=tmp_path))


def test_one_build_serves_it_and_size_reduction():
    for fields in ({}, {"baseline_context": "."}):
        c = reduction(**fields)
        s = criterion(
            check="size_reduction", baseline="task1/Dockerfile.single", min_factor=10, **fields
        )
        assert written_reduction.spec(c) == size_reduction.spec(s)
    c = reduction()
    assert written_reduction.spec(c) == BuildSpec("task1/Dockerfile.single", "task1", None)
    need = written_reduction.needs(c, task(c))
    assert need.build
    assert need.builds == frozenset({written_reduction.spec(c)})


# -- sizes as people write them ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "readings"),
    [
        ("1.2GB", [1_200_000_000, Fraction(12, 10) * 2**30]),
        ("1.2 GB", [1_200_000_000, Fraction(12, 10) * 2**30]),
        ("1.2gb", [1_200_000_000, Fraction(12, 10) * 2**30]),
        ("850MB", [850_000_000, 850 * 2**20]),
        ("850 MiB", [850 * 2**20]),
        ("850mib", [850 * 2**20]),
        ("12.3kB", [12_300, Fraction(123, 10) * 1024]),
        ("12KB", [12_000, 12 * 1024]),
        ("12 KiB", [12 * 1024]),
        ("1.5 GiB", [Fraction(3, 2) * 2**30]),
        ("2 TB", [2 * 10**12, 2 * 2**40]),
        ("123456789 bytes", [123_456_789]),
        ("123,456,789 bytes", [123_456_789]),
        ("1 byte", [1]),
        ("512B", [512]),
        ("1,234 MB", [1_234_000_000, 1234 * 2**20]),
        ("1,234.5 MB", [1_234_500_000, Fraction(24_690, 20) * 2**20]),
        ("1,5 GB", [1_500_000_000, Fraction(3, 2) * 2**30]),  # a decimal comma
        (".5GB", [500_000_000, 2**29]),
        ("7.9\u00a0MB", [7_900_000, Fraction(79, 10) * 2**20]),
    ],
)
def test_every_unit(text, readings):
    (size,) = find_sizes(f"the image is {text}, see above")
    assert size.text == text
    assert [bytes_ for bytes_, _ in size.readings] == readings


def test_sizes_in_a_docker_images_table():
    text = (
        "REPOSITORY   TAG      IMAGE ID       CREATED          SIZE\n"
        "go-single    latest   3e5b1f0a9c2d   2 minutes ago    830MB\n"
        "go-multi     latest   a1b2c3d4e5f6   1 minute ago     2MB\n"
    )
    assert [(s.text, s.line) for s in find_sizes(text)] == [("830MB", 2), ("2MB", 3)]


@pytest.mark.parametrize(
    "text",
    [
        "3 builds, 2 stages",
        "golang:1.20 and alpine:3.19",
        "image id 3e5b1f0a9c2d",
        "v2.1MB",
        "lowercase 3b is no unit",
        "an mb with no number",
        "12.5% smaller",
    ],
)
def test_no_size_where_there_is_none(text):
    assert find_sizes(text) == []


def test_the_closest_reading_of_a_bare_mb_counts():
    (docker,) = find_sizes("830MB")
    assert matches(docker, BASELINE, 0.01) == "MB"
    (mebibytes,) = find_sizes("791.6MB")  # what a tool counting in 1024s prints as 'MB'
    assert matches(mebibytes, BASELINE, 0.01) == "MiB"
    (strict,) = find_sizes("791.6 MiB")
    assert matches(strict, BASELINE, 0.01) == "MiB"
    (wrong,) = find_sizes("791.6 MB")
    assert matches(wrong, 830_000_000, 0.01) == "MiB"
    (decimal,) = find_sizes("830 MiB")  # MiB is only ever 2^20
    assert matches(decimal, BASELINE, 0.01) is None


@pytest.mark.parametrize(
    ("written", "measured", "tolerance", "matched"),
    [
        ("1.1GB", 10**9, 0.1, True),  # exactly 10% over 1.0 GB: the edge counts
        ("1.1000001GB", 10**9, 0.1, False),
        ("900000000 bytes", 10**9, 0.1, True),  # exactly 10% under
        ("899999999 bytes", 10**9, 0.1, False),
        ("1.1 GiB", 2**30, 0.1, True),
        ("1.1000001 GiB", 2**30, 0.1, False),
        ("0.9 GiB", 2**30, 0.1, True),
        ("0.8999999 GiB", 2**30, 0.1, False),
        ("1.05GB", 10**9, 0.05, True),
        ("1.051GB", 10**9, 0.05, False),
        ("1000000000 bytes", 10**9, 0.001, True),
        ("1001000000 bytes", 10**9, 0.001, True),
        ("1001000001 bytes", 10**9, 0.001, False),
        ("1.5GB", 10**9, 0.5, True),
        ("1.6GB", 10**9, 0.5, False),
        ("0 B", 0, 0.1, True),
        ("1 B", 0, 0.1, False),
    ],
)
def test_tolerance_edges(written, measured, tolerance, matched):
    (size,) = find_sizes(written)
    assert (matches(size, measured, tolerance) is not None) is matched


# -- the check ---------------------------------------------------------------------------------


def test_both_sizes_written_earn_full_marks(tmp_path):
    text = "# Task 5\n\nSingle-stage: 830MB\nMulti-stage: 2MB\n\nThat is 415x smaller.\n"
    outcome = judge(tmp_path, text)
    assert outcome.passed
    assert outcome.fraction == 1.0
    assert outcome.message == (
        "task5/REDUCTION.md gives both sizes: task1/Dockerfile.single 830.0 MB as 830MB; "
        "task1/Dockerfile 2.0 MB as 2MB"
    )
    assert outcome.evidence.expected == (
        "task1/Dockerfile.single: 830.0 MB, task1/Dockerfile: 2.0 MB; each within 10%"
    )
    assert outcome.evidence.actual == (
        "830MB (line 3) = task1/Dockerfile.single (read as MB); "
        "2MB (line 4) = task1/Dockerfile (read as MB)"
    )


@pytest.mark.parametrize(
    "text",
    [
        "from 830 MB down to 2 MB",
        "from 0.83GB down to 2.0MB",
        "from 791.6 MiB down to 1.9 MiB",
        "from 791MB down to 1.91MB",  # a tool that counts in 1024s but writes MB
        "from 830,000,000 bytes to 2,000,000 bytes",
        "from 810,5 MB to 1,9 MB",
        "| image | size |\n|---|---|\n| single | 850MB |\n| multi | 2.1MB |",
    ],
)
def test_spellings_of_both_sizes(tmp_path, text):
    outcome = judge(tmp_path, text)
    assert outcome.passed, outcome.message


def test_only_the_baseline_earns_half(tmp_path):
    outcome = judge(tmp_path, "It went from 830MB to 50MB.")
    assert not outcome.passed
    assert outcome.fraction == 0.5
    assert outcome.message == (
        "task5/REDUCTION.md gives no size within 10% of task1/Dockerfile's 2.0 MB "
        "(task1/Dockerfile.single 830.0 MB as 830MB)"
    )


def test_only_the_final_image_earns_half(tmp_path):
    outcome = judge(tmp_path, "It went from 1.2GB to 2MB.")
    assert not outcome.passed
    assert outcome.fraction == 0.5
    assert "of task1/Dockerfile.single's 830.0 MB" in outcome.message


def test_neither_size(tmp_path):
    outcome = judge(tmp_path, "It went from 1.2GB to 50MB.")
    assert not outcome.passed
    assert outcome.fraction == 0.0
    assert outcome.message == (
        "task5/REDUCTION.md gives no size within 10% of task1/Dockerfile.single's 830.0 MB "
        "or task1/Dockerfile's 2.0 MB (it gives 1.2GB, 50MB)"
    )
    assert outcome.evidence.actual == "1.2GB (line 1); 50MB (line 1)"


def test_the_evidence_lists_the_first_ten_sizes(tmp_path):
    text = "\n".join(f"{n} GB" for n in range(1, 16)) + "\n830MB\n2MB\n"
    outcome = judge(tmp_path, text)
    assert outcome.passed
    assert outcome.evidence.actual.count("GB (line") == 10
    assert outcome.evidence.actual.endswith("; 7 more")


def test_one_written_size_cannot_be_both_images(tmp_path):
    c = reduction(tolerance=0.2)
    outcome = judge(tmp_path, "about 100MB", c=c, baseline=105_000_000, final=95_000_000)
    assert not outcome.passed
    assert outcome.fraction == 0.5
    outcome = judge(tmp_path, "100MB then 100 MB", c=c, baseline=105_000_000, final=95_000_000)
    assert outcome.passed


@pytest.mark.parametrize("text", ["baseline 105MB, final 95MB", "final 95MB, baseline 105MB"])
def test_sizes_near_both_images_go_where_they_fit_best(tmp_path, text):
    c = reduction(tolerance=0.2)  # each size is within 20% of both images
    outcome = judge(tmp_path, text, c=c, baseline=105_000_000, final=95_000_000)
    assert outcome.passed
    assert outcome.message == (
        "task5/REDUCTION.md gives both sizes: task1/Dockerfile.single 105.0 MB as 105MB; "
        "task1/Dockerfile 95.0 MB as 95MB"
    )


def test_a_lone_size_near_both_images_counts_for_the_closer(tmp_path):
    c = reduction(tolerance=0.2)
    outcome = judge(tmp_path, "about 96MB", c=c, baseline=105_000_000, final=95_000_000)
    assert outcome.fraction == 0.5
    assert "no size within 20% of task1/Dockerfile.single's 105.0 MB" in outcome.message


def test_a_wider_tolerance_from_the_rubric(tmp_path):
    text = "from 700MB to 2.5MB"
    assert not judge(tmp_path, text).passed
    assert judge(tmp_path, text, c=reduction(tolerance=0.25)).passed


def test_a_file_with_no_sizes(tmp_path):
    outcome = judge(tmp_path, "The multi-stage image is much smaller.\n")
    assert not outcome.passed
    assert outcome.message == (
        "task5/REDUCTION.md gives no image size: write both as `docker images` shows them "
        "(e.g. 1.2GB)"
    )


def test_the_baseline_does_not_build(tmp_path):
    outcome = judge(tmp_path, "830MB and 2MB", built=FAILED, baseline=None)
    assert not outcome.passed
    assert outcome.message == (
        "the baseline task1/Dockerfile.single does not build: Step 2/4 : RUN go build: exit 1"
    )
    c = reduction()
    f = facts(task(c), size=FINAL, repo=tmp_path)
    outcome = written_reduction.evaluate(c, f)
    assert (
        outcome.message == "the baseline task1/Dockerfile.single does not build: it was not built"
    )


def test_the_final_image_does_not_build(tmp_path):
    c = reduction()
    (tmp_path / "task5").mkdir()
    (tmp_path / "task5" / "REDUCTION.md").write_text("830MB and 2MB")
    builds = {written_reduction.spec(c): OtherBuild(result=OK, size_bytes=BASELINE)}
    f = facts(task(c), builds=builds, repo=tmp_path)
    outcome = written_reduction.evaluate(c, f)
    assert not outcome.passed
    assert outcome.message == "task1/Dockerfile does not build, so it has no size"


# -- reading the file --------------------------------------------------------------------------


def test_a_missing_file(tmp_path):
    outcome = judge(tmp_path, None)
    assert not outcome.passed
    assert outcome.message == "task5/REDUCTION.md is missing from the repository"


def test_a_symlink_out_of_the_repository(tmp_path):
    outside = tmp_path / "elsewhere.md"
    outside.write_text("830MB and 2MB")
    repo = tmp_path / "repo"
    (repo / "task5").mkdir(parents=True)
    (repo / "task5" / "REDUCTION.md").symlink_to(outside)
    outcome = judge(repo, None)
    assert not outcome.passed
    assert outcome.message == "task5/REDUCTION.md leads outside the repository (a symlink?)"


def test_a_binary_file(tmp_path):
    outcome = judge(tmp_path, b"830MB\x00\x01\x02 2MB")
    assert not outcome.passed
    assert outcome.message == "task5/REDUCTION.md is a binary file, not text"


def test_a_huge_file(tmp_path):
    outcome = judge(tmp_path, b"830MB and 2MB\n" + b"x" * MAX_TEXT_BYTES)
    assert not outcome.passed
    assert outcome.message == "task5/REDUCTION.md is too large to be read (over 256 KiB)"


def test_a_flood_of_sizes_is_read_up_to_a_limit(tmp_path):
    assert len(find_sizes("1 MB " * 5000)) == MAX_SIZES
    text = "1 GB\n" * (MAX_SIZES + 5) + "830MB and 2MB\n"
    outcome = judge(tmp_path, text)
    assert not outcome.passed
    assert outcome.evidence.actual.endswith(f"; {MAX_SIZES - 10} more")


def test_a_baseline_that_is_the_task_dockerfile_itself(tmp_path):
    c = criterion(check="written_reduction", file="REDUCTION.md", baseline="task1/Dockerfile")
    (tmp_path / "REDUCTION.md").write_text("830MB then 2MB")
    builds = {written_reduction.spec(c): OtherBuild(result=OK, size_bytes=BASELINE)}
    outcome = written_reduction.evaluate(
        c, facts(task(c), size=FINAL, builds=builds, repo=tmp_path)
    )
    assert outcome.passed
