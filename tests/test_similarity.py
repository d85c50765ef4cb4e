"""The similarity report: normalising Dockerfiles, digests of a context, clusters of a class."""

from __future__ import annotations

import hashlib
import os
import random
from difflib import SequenceMatcher
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.dockerfile import instructions
from grader.models.similarity import SimilarityReport
from grader.similarity import (
    EMPTY_SHA256,
    crude,
    normalise,
    similarity,
    source_digests,
    template_digests,
)
from tests import factories as f

MULTI = """\
FROM golang:1.20 AS builder
WORKDIR /src
COPY go.mod ./
RUN --mount=type=cache,target=/root/.cache/go-build go mod download
COPY . .
RUN --mount=type=cache,target=/root/.cache/go-build CGO_ENABLED=0 go build -o /out/app .
FROM builder AS test
RUN go test ./...
FROM scratch
COPY --from=builder --chown=65532:65532 /out/app /app
USER 65532
ENTRYPOINT ["/app"]
"""

# The same file as a copier disguises it: comments, blank lines, case, continuations, white
# space, other stage names (in another case where used), flags and mount keys reordered.
DISGUISED = """\
# syntax=docker/dockerfile:1
# my own work, honest

from golang:1.20 as Build
workdir   /src
copy go.mod ./

run --mount=target=/root/.cache/go-build,type=cache \\
    go mod download
Copy . .
# build it
RUN --mount=TYPE=cache,dst=/root/.cache/go-build \\
    CGO_ENABLED=0 \\
    go build -o /out/app .
FROM BUILD as Check
RUN  go test   ./...
FROM scratch
COPY --chown=65532:65532 --from=build /out/app /app
user 65532
ENTRYPOINT [ "/app" ]
"""

SINGLE = """\
FROM golang:1.20
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /app .
USER 65532
ENTRYPOINT ["/app"]
"""

MAIN_GO = hashlib.sha256(b"package main\nfunc main() {}\n").hexdigest()
GO_MOD = hashlib.sha256(b"module example.org/app\n").hexdigest()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def row(student: str, text: str | None, sources: dict[str, str] | None = None, tid="task1"):
    task = f.task(tid, [f.criterion("c", True)], dockerfile_text=text, sources=sources or {})
    return f.submission(student, [task])


def lines_file(lines: list[str]) -> str:
    return "FROM alpine:3.19\n" + "".join(f"RUN {line}\n" for line in lines)


def pair_score(a: str, b: str, sources_a=None, sources_b=None) -> float | None:
    """The score of two students' files, or None when it is below any threshold kept."""
    report = similarity(
        f.results([row("a", a, sources_a), row("b", b, sources_b)]), threshold=0.001
    )
    if not report.clusters:
        return None
    cluster = report.clusters[0]
    return cluster.pairs[0].score if cluster.pairs else 1.0


# -- normalise -------------------------------------------------------------------------------


def test_the_usual_disguises_normalise_to_the_same_lines():
    assert normalise(DISGUISED) == normalise(MULTI)
    assert normalise(MULTI) == [
        "FROM golang:1.20 AS s0",
        "WORKDIR /src",
        "COPY go.mod ./",
        "RUN --mount=target=/root/.cache/go-build,type=cache go mod download",
        "COPY . .",
        "RUN --mount=target=/root/.cache/go-build,type=cache CGO_ENABLED=0 go build -o /out/app .",
        "FROM s0 AS s1",
        "RUN go test ./...",
        "FROM scratch",
        "COPY --chown=65532:65532 --from=s0 /out/app /app",
        "USER 65532",
        'ENTRYPOINT ["/app"]',
    ]


def test_a_stage_is_its_index_wherever_it_is_used():
    named = (
        "FROM alpine AS Deps\nRUN apk add curl\nFROM alpine\n"
        "RUN --mount=from=deps,source=/usr/bin/curl,target=/c /c --version\n"
        "COPY --from=DEPS /usr/bin/curl /usr/bin/\n"
    )
    numbered = (
        "FROM alpine AS x\nRUN apk add curl\nFROM alpine\n"
        "RUN --mount=src=/usr/bin/curl,from=0,type=bind,target=/c /c --version\n"
        "COPY --from=0 /usr/bin/curl /usr/bin/\n"
    )
    assert normalise(named) == normalise(numbered)
    assert normalise(named)[3] == (
        "RUN --mount=from=s0,source=/usr/bin/curl,target=/c,type=bind /c --version"
    )


def test_names_that_are_no_stage_are_kept_as_written():
    # an image called "build" before any stage of that name; an index past the last stage;
    # ONBUILD's --from is a stage of the build that uses the image, not of this file
    text = (
        "FROM build AS base\nFROM alpine AS build\nCOPY --from=7 /a /a\n"
        "ONBUILD COPY --chown=1 --from=base /x /x\n"
    )
    assert normalise(text) == [
        "FROM build AS s0",
        "FROM alpine AS s1",
        "COPY --from=7 /a /a",
        "ONBUILD COPY --chown=1 --from=base /x /x",
    ]
    onbuild = "FROM alpine\nONBUILD   copy --from=base --chown=1 /x /x\n"
    assert normalise(onbuild)[1] == "ONBUILD COPY --chown=1 --from=base /x /x"


def test_json_forms_have_one_spelling_and_keep_their_meaning():
    assert normalise('FROM a\nCMD [ "/app",  "-v" ]\n') == normalise('FROM a\nCMD ["/app","-v"]\n')
    # exec and shell form run differently: they stay apart
    assert normalise('FROM a\nCMD ["/app"]\n') != normalise("FROM a\nCMD /app\n")
    # for the file lists both forms mean the same
    assert normalise('FROM a\nCOPY ["a", "b/"]\nVOLUME ["/data"]\n') == normalise(
        "FROM a\nCOPY a b/\nVOLUME /data\n"
    )
    assert normalise('FROM a\nCOPY ["my file", "/x/"]\n')[1] == 'COPY ["my file", "/x/"]'
    assert normalise("FROM a\nENV A 1\n") == normalise("FROM a\nENV A=1\n")


def test_arguments_are_otherwise_kept():
    assert normalise("FROM alpine:3.19\n") != normalise("FROM alpine:3.18\n")
    assert normalise("FROM a\nRUN echo A\n") != normalise("FROM a\nRUN echo a\n")
    assert normalise("FROM a\nCOPY --chown=1 x y\n") != normalise("FROM a\nCOPY --chown=2 x y\n")


def test_heredoc_bodies_are_part_of_their_instruction():
    one = "FROM a\nRUN <<EOF\n  set -e\n\n  echo hi\nEOF\n"
    two = "from a\nrun <<EOF\nset -e\necho   hi\nEOF\n"
    assert normalise(one) == normalise(two) == ["FROM a", "RUN <<EOF\nset -e\necho hi"]
    assert normalise(one) != normalise("FROM a\nRUN <<EOF\necho bye\nEOF\n")


@pytest.mark.parametrize(
    "refused",
    [
        "FROM alpine\nENV ONLYKEY\n# note\n\nRUN   make \\\n  all\n",
        "FROM alpine\nRUN <<EOT\necho never closed\n",
    ],
)
def test_a_file_the_parser_refuses_falls_back_to_a_crude_normalisation(refused):
    assert instructions(refused) == []  # Docker's parser refuses it
    assert normalise(refused) == crude(refused)
    assert normalise(refused)[0] == "FROM alpine"
    disguised = "# copied\n" + refused.replace("FROM alpine", "from    alpine").replace(
        "\n", "\n\n"
    )
    assert normalise(disguised) == normalise(refused)
    [cluster] = similarity(f.results([row("a", refused), row("b", disguised)])).clusters
    assert cluster.identical


def test_the_crude_normalisation():
    text = "  # c\n\nrun   make \\\n   all\ncopy  a   b\nfrom\\\n"
    assert crude(text) == ["RUN make all", "COPY a b", "FROM"]


def test_an_empty_or_comment_only_file_has_no_lines():
    assert normalise("") == []
    assert normalise("# nothing yet\n\n") == []


# -- source_digests --------------------------------------------------------------------------


def make_context(tmp_path: Path) -> Path:
    ctx = tmp_path / "task1"
    (ctx / "src").mkdir(parents=True)
    (ctx / "build").mkdir()
    (ctx / "Dockerfile").write_text("FROM scratch\n")
    (ctx / ".dockerignore").write_text("# not needed\nsecret.txt\nbuild\n")
    (ctx / "main.go").write_bytes(b"package main\n")
    (ctx / "secret.txt").write_text("s3cret")
    (ctx / "build" / "out.bin").write_bytes(b"\0" * 10)
    (ctx / "src" / "util.go").write_bytes(b"package src\n")
    os.symlink("/etc/passwd", ctx / "passwd")  # hashed as a link, never read
    os.symlink("src", ctx / "code")  # a link to a directory is not walked
    os.mkfifo(ctx / "pipe")  # would hang a reader
    return ctx


def test_source_digests_are_what_the_build_sees_without_following_links(tmp_path):
    ctx = make_context(tmp_path)
    assert source_digests(ctx, ctx / "Dockerfile") == {
        "main.go": sha(b"package main\n"),
        "src/util.go": sha(b"package src\n"),
        "passwd": sha(b"link:/etc/passwd"),
        "code": sha(b"link:src"),
    }


def test_version_control_folders_are_not_sources(tmp_path):
    ctx = make_context(tmp_path)
    (ctx / ".git" / "objects").mkdir(parents=True)
    (ctx / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (ctx / ".git" / "objects" / "ab").write_bytes(b"a clone's own")
    (ctx / "docs" / ".git").mkdir(parents=True)
    (ctx / "docs" / ".git" / "config").write_text("[core]\n")
    found = source_digests(ctx, ctx / "Dockerfile")
    assert not [path for path in found if ".git" in path.split("/")]
    assert "main.go" in found


def test_the_dockerfile_is_left_out_even_when_elsewhere_or_ignored(tmp_path):
    ctx = make_context(tmp_path)
    (ctx / ".dockerignore").write_text("secret.txt\nbuild\nDockerfile\nsrc/Dockerfile.dev\n")
    (ctx / "src" / "Dockerfile.dev").write_text("FROM alpine\n")
    assert "Dockerfile" not in source_digests(ctx, ctx / "Dockerfile")
    assert "src/Dockerfile.dev" not in source_digests(ctx, ctx / "src" / "Dockerfile.dev")
    outside = tmp_path / "Dockerfile.other"
    outside.write_text("FROM alpine\n")
    (ctx / ".dockerignore").write_text("secret.txt\nbuild\n")
    # built with a Dockerfile from elsewhere, the context's own Dockerfile is a plain file
    assert source_digests(ctx, outside)["Dockerfile"] == sha(b"FROM scratch\n")


def test_source_digests_stop_quietly_at_the_caps(tmp_path):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    for name in "abcd":
        (ctx / f"{name}.txt").write_bytes(name.encode() * 100)
    dockerfile = ctx / "Dockerfile"
    dockerfile.write_text("FROM scratch\n")
    assert list(source_digests(ctx, dockerfile, max_files=2)) == ["a.txt", "b.txt"]
    assert list(source_digests(ctx, dockerfile, max_bytes=250)) == ["a.txt", "b.txt"]
    assert source_digests(tmp_path / "missing", dockerfile) == {}
    (ctx / ".dockerignore").write_text("**/[z-a]\n")  # a pattern the matcher cannot compile
    assert source_digests(ctx, dockerfile) == {}


def test_odd_file_names_still_make_valid_results(tmp_path):
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    try:
        (ctx / os.fsdecode(b"caf\xe9.txt")).write_text("x")
    except OSError:
        pytest.skip("this file system takes only UTF-8 names")
    digests = source_digests(ctx, ctx / "Dockerfile")
    assert digests == {"caf\\xe9.txt": sha(b"x")}
    task = f.task("task1", [], dockerfile_text="FROM scratch\n", sources=digests)
    assert "caf\\\\xe9.txt" in f.results([f.submission("s", [task])]).model_dump_json()


# -- similarity ------------------------------------------------------------------------------


def test_a_disguised_copy_clusters_and_a_different_answer_does_not():
    results = f.results(
        [row("alice", MULTI), row("bob", DISGUISED), row("carol", SINGLE)],
    )
    report = similarity(results, task_order=["task1"])
    assert report.compared == {"task1": 3}
    [cluster] = report.clusters
    assert cluster.task == "task1"
    assert cluster.students == ["alice", "bob"]
    assert cluster.identical
    assert cluster.score == 1.0
    assert cluster.groups == [["alice", "bob"]]
    assert cluster.pairs == []
    single_vs_multi = pair_score(MULTI, SINGLE)
    assert single_vs_multi is not None
    assert single_vs_multi < 0.9


def test_clusters_link_by_single_linkage_through_a_spanning_tree():
    base = [f"step {n}" for n in range(9)]  # with FROM: 10 lines
    a = lines_file(base)
    b = lines_file([*base[:8], "step b"])  # a~b: 18/20 = 0.9
    c = lines_file([*base[:7], "step c", "step b"])  # b~c: 0.9, a~c: 0.8
    d = lines_file(["other"] * 9)
    results = f.results([row("c", c), row("a", a), row("d", d), row("b", b)])
    [cluster] = similarity(results, threshold=0.9).clusters
    assert cluster.students == ["a", "b", "c"]
    assert not cluster.identical
    assert cluster.groups == [["a"], ["b"], ["c"]]
    assert [p.students for p in cluster.pairs] == [("a", "b"), ("b", "c")]
    assert cluster.score == 0.9
    assert all(p.sources is None and p.dockerfile == p.score == 0.9 for p in cluster.pairs)


def test_a_score_exactly_at_the_threshold_is_in():
    base = [f"step {n}" for n in range(9)]
    a, b = lines_file(base), lines_file([*base[:8], "step b"])
    assert SequenceMatcher(None, normalise(a), normalise(b)).ratio() == 0.9
    results = f.results([row("a", a), row("b", b)])
    assert [c.students for c in similarity(results, threshold=0.9).clusters] == [["a", "b"]]
    assert similarity(results, threshold=0.901).clusters == []
    # the mean of both parts: Dockerfiles the same, own files 4 of 5 shared
    own = {f"f{n}": sha(f"own {n}".encode()) for n in range(5)}
    fewer = {k: v for k, v in own.items() if k != "f4"}
    mixed = f.results([row("a", a, own), row("b", a, fewer)])
    [cluster] = similarity(mixed, threshold=0.9).clusters
    assert (cluster.pairs[0].dockerfile, cluster.pairs[0].sources) == (1.0, 0.8)
    assert cluster.score == 0.9
    assert similarity(mixed, threshold=0.91).clusters == []


def test_the_class_template_is_left_out_of_the_sources():
    base = [f"step {n}" for n in range(9)]
    extra = sha(b"an unusual note only two students have\n")
    rows = []
    for n, student in enumerate(["s1", "s2", "s3", "s4", "s5"]):
        text = lines_file([*base[:7], f"own {student} a", f"own {student} b"])  # 0.8 apart
        sources = {"main.go": MAIN_GO, "go.mod": GO_MOD, "empty.txt": EMPTY_SHA256}
        if student in ("s1", "s2"):  # under another name each: compared by content
            sources[f"notes-{n}.txt"] = extra
        rows.append(row(student, text, sources))
    template = template_digests(frozenset(r.tasks[0].sources.values()) for r in rows)
    assert template == {MAIN_GO, GO_MOD, EMPTY_SHA256}
    [cluster] = similarity(f.results(rows)).clusters
    assert cluster.students == ["s1", "s2"]
    assert (cluster.pairs[0].dockerfile, cluster.pairs[0].sources) == (0.8, 1.0)
    assert cluster.score == 0.9
    # s3..s5 have no own files left: their sources part is None, the Dockerfile part alone
    assert pair_score(rows[2].tasks[0].dockerfile_text, rows[3].tasks[0].dockerfile_text) == 0.8


def test_a_template_needs_more_than_half_and_at_least_three():
    shared = frozenset({"x"})
    assert template_digests([shared, shared]) == frozenset()  # 2 of 2: too few to tell
    assert template_digests([shared, shared, shared, frozenset()]) == {"x"}
    assert template_digests([shared, shared, shared, frozenset(), frozenset(), frozenset()]) == (
        frozenset()
    )  # 3 of 6 is not more than half


def test_identical_dockerfiles_with_different_own_files_are_not_identical():
    results = f.results(
        [
            row("a", MULTI, {"main.go": sha(b"a's code")}),
            row("b", DISGUISED, {"main.go": sha(b"b's code")}),
        ]
    )
    assert similarity(results).clusters == []
    assert pair_score(MULTI, MULTI, {"x": sha(b"1")}, {"y": sha(b"2")}) == 0.5


def test_a_copied_dockerfile_beside_a_file_of_ones_own_is_still_a_copy():
    # one side only has an own file: the sources part says nothing, the Dockerfile part counts
    assert pair_score(MULTI, DISGUISED, {"extra.txt": sha(b"mine")}, {}) == 1.0
    results = f.results([row("a", MULTI, {"extra.txt": sha(b"mine")}), row("b", DISGUISED)])
    [cluster] = similarity(results).clusters
    assert cluster.students == ["a", "b"]
    assert not cluster.identical


def test_groups_of_identical_work_and_the_links_between_them():
    base = [f"step {n}" for n in range(19)]
    near = lines_file([*base[:18], "step changed"])  # 38/40 = 0.95
    rows = [row(f"t{n}", MULTI if n % 2 else DISGUISED) for n in range(6)]
    rows += [row("u1", lines_file(base)), row("u2", lines_file(base)), row("v", near)]
    report = similarity(f.results(rows))
    assert [c.students for c in report.clusters] == [
        ["t0", "t1", "t2", "t3", "t4", "t5"],
        ["u1", "u2", "v"],
    ]
    second = report.clusters[1]
    assert second.groups == [["u1", "u2"], ["v"]]
    assert [(p.students, p.score) for p in second.pairs] == [(("u1", "v"), 0.95)]
    assert second.score == 0.95


def test_rows_tasks_and_order():
    rows = [
        row("a", MULTI, tid="task2"),
        row("b", DISGUISED, tid="task2"),
        row("c", None, tid="task2"),  # no Dockerfile: nothing to compare
        row("d", "# empty\n", tid="task2"),  # an empty one neither
        row("a", SINGLE, tid="extra"),
        row("b", SINGLE, tid="extra"),
        row("e", MULTI, tid="task1"),
        f.submission("f", [], status="error", error="clone failed"),
    ]
    report = similarity(f.results(rows), task_order=["task1", "task2", "task3"])
    assert report.compared == {"task1": 1, "task2": 2, "task3": 0, "extra": 2}
    assert [(c.task, c.students) for c in report.clusters] == [
        ("task2", ["a", "b"]),
        ("extra", ["a", "b"]),
    ]
    assert report.threshold == 0.9
    assert SimilarityReport.model_validate_json(report.model_dump_json()) == report


def test_rows_in_error_count_and_a_student_counts_once():
    rows = [
        row("a", SINGLE),
        row("b", MULTI).model_copy(update={"status": "error", "error": "build failed"}),
        row("a", DISGUISED),  # the later row of a student wins
    ]
    [cluster] = similarity(f.results(rows)).clusters
    assert cluster.students == ["a", "b"]
    assert similarity(f.results(rows)).compared == {"task1": 2}


def test_the_report_does_not_depend_on_row_order():
    rng = random.Random(4)
    variants = [MULTI, DISGUISED, SINGLE, lines_file(["x"] * 3), lines_file(["x"] * 4)]
    rows = [row(f"s{n:02d}", variants[n % len(variants)]) for n in range(25)]
    expected = similarity(f.results(rows))
    for _ in range(5):
        rng.shuffle(rows)
        assert similarity(f.results(rows)) == expected


@pytest.mark.parametrize("threshold", [0, -0.5, 1.5])
def test_a_threshold_outside_0_to_1_is_refused(threshold):
    with pytest.raises(ValueError, match="threshold"):
        similarity(f.results([]), threshold=threshold)


LINES = st.sampled_from([f"RUN step {n}" for n in range(8)])
# files that repeat a line take difflib's own path, those that do not mostly the in-order one
FILES = st.lists(LINES, min_size=1, max_size=12) | st.lists(LINES, min_size=1, unique=True)


@settings(max_examples=400, deadline=None)
@given(FILES, FILES)
def test_the_dockerfile_part_is_difflibs_ratio(a, b):
    """The shortcuts (bounds, grouping, the in-order case) never change a score.

    difflib's ratio is not symmetric; the score is the better of its two directions.
    """
    first, second = "FROM a\n" + "\n".join(a), "FROM a\n" + "\n".join(b)
    one, two = normalise(first), normalise(second)
    ratio = max(SequenceMatcher(None, one, two).ratio(), SequenceMatcher(None, two, one).ratio())
    expected = round(ratio, 3)
    assert pair_score(first, second) == (expected if expected >= 0.001 else None)
