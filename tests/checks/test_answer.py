"""answer: a lesson's question answered in the student's repository, words and snippet."""

import os

import pytest

import grader.files
from grader.checks import answer
from grader.checks.base import Needs
from grader.errors import StudentFileError
from grader.files import MAX_TEXT_BYTES, read_repo_text
from tests.checks.helpers import criterion, facts, task

# The lesson's own answers (shared/lesson-2.4.md, "Check Your Understanding"), as printed.
LESSON_ANSWERS = """\
  1. They solve the problem of bloated images by separating build-time dependencies (compilers, build tools) from runtime dependencies, so only the final artifact and necessary runtime files end up in the production image.
  2. Using COPY --from=stage_name where stage_name is the name defined with AS in the FROM instruction.
  3. No. Only the final stage becomes the image. Intermediate stages are used only during the build process.
  4. scratch – an empty base image. It's perfect for statically compiled binaries because they don't need any runtime libraries.
  5. With docker build --target stage_name. You'd use this for debugging, testing intermediate stages, or creating separate images for development vs. production.
  6. COPY --from=builder /app/target/app.jar /app/app.jar (adjust paths as needed).
"""  # noqa: E501, RUF001 - verbatim, en dash included

# The same answers as a student would write them in Markdown.
LESSON_MARKDOWN = """\
# Lesson 2.4: Check Your Understanding

## Question 1
They solve the problem of **bloated images** by separating build-time dependencies
(compilers, build tools) from runtime dependencies.

## Question 2
Using `COPY --from=stage_name`, where `stage_name` is the name given with `AS` in `FROM`.

## Question 3
No. Only the final stage becomes the image.

## Question 4
`scratch` \u2013 an empty base image.

## Question 5
With `docker build --target stage_name`. You'd use this for:

1. debugging
2. testing intermediate stages

## Question 6
```dockerfile
COPY --from=builder /app/target/app.jar /app/app.jar
```
"""

# The questions themselves: an answer that only restates one must not pass.
QUESTIONS = {
    1: "What problem do multi-stage builds solve?",
    2: "How do you refer to a previous stage by name when copying files?",
    3: "If you have three stages and don't copy anything from stage 2, is stage 2 included "
    "in the final image?",
    4: "What base image would you use for a statically compiled Go binary to achieve the "
    "smallest possible image?",
    5: "How can you build only up to a specific stage, and why would you want to do that?",
}

# The patterns suggested for the rubric (the report repeats them).
PATTERNS = {
    1: {
        "expected": [
            r"bloat|\b(large|big|huge|size|smaller|lean|slim|minimal)\b",
            r"build[- ]?(time|tools?|dependenc|stage)|compil|toolchain|\bsdk\b",
        ]
    },
    2: {"expected": [r"--from\b"], "excluded": [r"--from\s*=\s*\d+\b"]},
    3: {
        "expected": [r"^\W*no\b", r"\b(final|last)\s+stage|discard|not\s+(be\s+)?included"],
        "excluded": [r"^\W*yes\b"],
    },
    4: {"expected": [r"\bscratch\b"]},
    5: {
        "expected": [
            r"--target\b",
            r"debug|test|inspect|troubleshoot|\bci\b|cach|develop|separate",
        ]
    },
}

SNIPPET = {"stage": "builder", "source": "app.jar", "destination": "/app"}


def write(tmp_path, text, name="ANSWERS.md"):
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return tmp_path


def judge(tmp_path, question, **fields):
    c = criterion(check="answer", file="ANSWERS.md", question=question, **fields)
    return answer.evaluate(c, facts(task(c), repo=tmp_path))


def test_needs_only_the_repository():
    c = criterion(check="answer", file="ANSWERS.md", question=1, expected=["x"])
    assert answer.needs(c, task(c)) == Needs()
    assert not answer.needs(c, task(c)).engine


# -- the lesson's answers ----------------------------------------------------------------------


@pytest.mark.parametrize("text", [LESSON_ANSWERS, LESSON_MARKDOWN])
@pytest.mark.parametrize("question", [1, 2, 3, 4, 5])
def test_the_lesson_answers_pass_the_suggested_patterns(tmp_path, text, question):
    outcome = judge(write(tmp_path, text), question, **PATTERNS[question])
    assert outcome.passed, outcome.message
    assert outcome.message.startswith(f"question {question} in ANSWERS.md is answered")


@pytest.mark.parametrize("text", [LESSON_ANSWERS, LESSON_MARKDOWN])
def test_the_lesson_answer_6_passes_the_snippet(tmp_path, text):
    outcome = judge(write(tmp_path, text), 6, snippet=SNIPPET)
    assert outcome.passed, outcome.message
    assert "COPY --from=builder /app/target/app.jar /app/app.jar" in outcome.message
    assert outcome.evidence.expected == "COPY --from=builder …/app.jar /app/"


@pytest.mark.parametrize("question", [1, 2, 3, 4, 5])
@pytest.mark.parametrize(
    "reply",
    [
        "I don't know.",
        "Docker is a container platform.",
        "See the lesson.",
        "TODO",
    ],
)
def test_an_off_topic_answer_fails_the_suggested_patterns(tmp_path, question, reply):
    outcome = judge(write(tmp_path, f"{question}. {reply}\n"), question, **PATTERNS[question])
    assert not outcome.passed
    assert outcome.message.startswith(f"question {question} in ANSWERS.md does not say")


@pytest.mark.parametrize("question", [1, 2, 3, 4, 5])
def test_restating_the_question_fails_the_suggested_patterns(tmp_path, question):
    text = f"{question}. {QUESTIONS[question]}\n"
    assert not judge(write(tmp_path, text), question, **PATTERNS[question]).passed


@pytest.mark.parametrize("question", [1, 2, 3, 4, 5, 6])
def test_a_blank_answer_is_not_answered(tmp_path, question):
    text = "\n".join(f"## Question {n}\n" for n in range(1, 7))
    fields = PATTERNS.get(question, {"snippet": SNIPPET})
    outcome = judge(write(tmp_path, text), question, **fields)
    assert not outcome.passed
    assert outcome.message.startswith(f"question {question} is not answered in ANSWERS.md")
    assert "has nothing under it" in outcome.message


@pytest.mark.parametrize(
    ("question", "reply"),
    [
        (2, "By its index: COPY --from=0 /app/myapp ."),
        (3, "Yes, every stage is in the final image."),
    ],
)
def test_wrong_answers_fail_the_excluded_patterns(tmp_path, question, reply):
    outcome = judge(write(tmp_path, f"{question}. {reply}\n"), question, **PATTERNS[question])
    assert not outcome.passed


def test_a_missing_question(tmp_path):
    outcome = judge(write(tmp_path, "1. one\n2. two\n"), 6, expected=["x"])
    assert not outcome.passed
    assert outcome.message == "question 6 is not answered in ANSWERS.md"
    assert outcome.evidence.actual == "questions answered: 1, 2"


def test_a_missing_question_says_why_when_a_fence_swallowed_it(tmp_path):
    outcome = judge(write(tmp_path, "5. see\n```\nRUN x\n6. lost\n"), 6, expected=["x"])
    assert outcome.message.startswith("question 6 is not answered in ANSWERS.md (")
    assert "line 2 is never closed" in outcome.message


def test_a_repeated_question_is_graded_by_its_first_answer_and_says_so(tmp_path):
    text = "1. scratch\n2. two\n1. alpine\n"
    outcome = judge(write(tmp_path, text), 1, expected=[r"\bscratch\b"])
    assert outcome.passed
    assert "comes again on line 3" in outcome.message
    outcome = judge(write(tmp_path, "1. alpine\n2. two\n1. scratch\n"), 1, expected=["scratch"])
    assert not outcome.passed


def test_patterns_ignore_case_and_match_at_line_starts(tmp_path):
    root = write(tmp_path, "3. Well...\nNO. Only the last one.\n")
    assert judge(root, 3, expected=[r"^no\b"]).passed
    assert not judge(root, 3, excluded=[r"^no\b"]).passed


def test_excluded_pattern_says_what_it_found(tmp_path):
    outcome = judge(write(tmp_path, "4. alpine\n"), 4, excluded=[r"alp\w+"])
    assert not outcome.passed
    assert (
        outcome.message == "question 4 in ANSWERS.md says alpine, which it should not (/alp\\w+/)"
    )


def test_messages_are_one_line(tmp_path):
    text = "4. first line\n\x1b[31mred\nthird\n"
    outcome = judge(write(tmp_path, text), 4, expected=["scratch"])
    assert "\n" not in outcome.message
    assert "\x1b" not in outcome.message


# -- the snippet -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply",
    [
        "COPY --from=builder /app/target/app.jar /app/app.jar",
        "COPY --from=builder /app/target/app.jar /app/",
        "COPY --from=builder app.jar /app/",
        "COPY --from=builder app.jar /app/.",
        "COPY --from=builder ./app.jar //app//",
        "copy --from=builder app.jar /app/",
        "Copy --from=BUILDER app.jar /app/",
        "COPY --from=builder --chown=1000:1000 --link app.jar /app/",
        'COPY --from=builder ["app.jar", "/app/"]',
        'COPY --from=builder ["/src/app.jar", "/app/app.jar"]',
        'COPY --from=builder "app.jar" "/app/"',
        "COPY --from=builder other.jar app.jar /app/",
        "`COPY --from=builder /app/target/app.jar /app/`",
        "Use `COPY --from=builder target/app.jar /app/` in the final stage.",
        "- COPY --from=builder app.jar /app/",
        "```\nCOPY --from=builder \\\n    /app/target/app.jar \\\n    /app/\n```",
        "```dockerfile\nFROM openjdk:17 AS final\nWORKDIR /app\nCOPY --from=builder app.jar .\n```",
        "```\nWORKDIR /app\nCOPY --from=builder app.jar ./\n```",
        "```\nWORKDIR /app\nCOPY --from=builder app.jar app.jar\n```",
        "```\nWORKDIR /app\nCOPY --from=builder app.jar ./app.jar\n```",
        "```\nWORKDIR /\nWORKDIR app\nCOPY --from=builder app.jar .\n```",
        "```\nWORKDIR /app\nCOPY --from=builder app.jar /app\n```",
        "```\nWORKDIR /app/lib\nCOPY --from=builder app.jar /app\n```",
        "```\nRUN mkdir -p /app\nCOPY --from=builder app.jar /app\n```",
        "```\nCOPY --from=builder config.yml /app/\nCOPY --from=builder app.jar /app\n```",
        "```\nARG DIR=/app\nCOPY --from=builder app.jar ${DIR}/\n```",
        "```\nENV APP_HOME /app\nCOPY --from=builder app.jar $APP_HOME/app.jar\n```",
        "```\nFROM maven AS builder\nRUN mvn package\n\nFROM openjdk\n"
        "COPY --from=builder /app/target/app.jar /app/app.jar\n```",
        "First: `WORKDIR /app`, then `COPY --from=builder app.jar .`",
    ],
)
def test_snippets_that_copy_app_jar_into_app(tmp_path, reply):
    outcome = judge(write(tmp_path, f"Question 6\n{reply}\n"), 6, snippet=SNIPPET)
    assert outcome.passed, outcome.message
    assert outcome.message.startswith("question 6 in ANSWERS.md: `")


@pytest.mark.parametrize(
    ("reply", "said"),
    [
        ("COPY --from=build app.jar /app/", "copies from build, not from the stage builder"),
        ("COPY --from=nginx:alpine app.jar /app/", "copies from nginx:alpine, not from"),
        ("COPY --from=builder other.jar /app/", "does not copy a file named app.jar"),
        ("COPY --from=builder app.jar.bak /app/", "does not copy a file named app.jar"),
        ("COPY --from=builder *.jar /app/", "does not copy a file named app.jar"),
        ("COPY --from=builder app.jar /app", "to a file named /app, unless /app already is"),
        ("COPY --from=builder app.jar /opt/", "puts the file at /opt/app.jar, not in /app"),
        ("COPY --from=builder app.jar /app/lib/", "puts the file at /app/lib/app.jar"),
        ("COPY --from=builder app.jar /app/my.jar", "puts the file at /app/my.jar"),
        ("COPY --from=builder app.jar .", "relative to a directory the snippet never sets"),
        ("ADD --from=builder app.jar /app/", "ADD does not take --from"),
        ("COPY --from=0 app.jar /app/", "names stage 0 by its index; the question asks for it"),
        ("COPY app.jar /app/", "copies from the build context: add --from=builder"),
        ("COPY --FROM=builder app.jar /app/", "unknown flag: --FROM"),
        ("COPY --from=builder app.jar", "has no destination"),
        ("```\nWORKDIR /srv\nCOPY --from=builder app.jar .\n```", "/srv/app.jar, not in /app"),
        ("```\nWORKDIR /\nCOPY --from=builder app.jar app\n```", "to a file named /app"),
        ("```\nWORKDIR /app\nFROM x\nCOPY --from=builder app.jar /app\n```", "file named /app"),
    ],
)
def test_snippets_that_do_not(tmp_path, reply, said):
    outcome = judge(write(tmp_path, f"6. {reply}\n"), 6, snippet=SNIPPET)
    assert not outcome.passed
    assert said in outcome.message
    assert outcome.message.startswith("question 6 in ANSWERS.md, line ")
    assert "\n" not in outcome.message


def test_the_trailing_slash_is_explained(tmp_path):
    outcome = judge(write(tmp_path, "6. COPY --from=builder app.jar /app\n"), 6, snippet=SNIPPET)
    assert outcome.message == (
        "question 6 in ANSWERS.md, line 1 of its code: `COPY --from=builder app.jar /app` "
        "copies app.jar to a file named /app, unless /app already is a directory (nothing in "
        "the snippet makes it one): write /app/ with the trailing slash, or /app/app.jar"
    )
    assert outcome.evidence.expected == "COPY --from=builder …/app.jar /app/"
    assert outcome.evidence.actual == "line 1: COPY --from=builder app.jar /app"
    assert outcome.evidence.line == 1


def test_the_closest_copy_is_the_one_explained(tmp_path):
    text = (
        "6.\n```\nFROM openjdk\nCOPY . .\nCOPY --from=builder /app/target/app.jar /opt/\n"
        "COPY --from=build /app/target/app.jar /srv/\n```\n"
    )
    outcome = judge(write(tmp_path, text), 6, snippet=SNIPPET)
    assert not outcome.passed
    assert outcome.message.startswith("question 6 in ANSWERS.md, line 3 of its code: ")
    assert "not in /app" in outcome.message
    assert outcome.evidence.actual == (
        "line 2: COPY . .; line 3: COPY --from=builder /app/target/app.jar /opt/; "
        "line 4: COPY --from=build /app/target/app.jar /srv/"
    )


def test_an_answer_without_any_copy(tmp_path):
    outcome = judge(write(tmp_path, "6. You copy the jar over.\n"), 6, snippet=SNIPPET)
    assert not outcome.passed
    assert outcome.message == (
        "question 6 in ANSWERS.md holds no COPY instruction "
        "(expected COPY --from=builder …/app.jar /app/): You copy the jar over."
    )
    assert outcome.evidence.actual == "You copy the jar over."


def test_a_snippet_docker_cannot_parse_is_read_line_by_line(tmp_path):
    text = "6.\n```\nRUN <<EOF\nCOPY --from=builder app.jar /app/\n```\n"
    outcome = judge(write(tmp_path, text), 6, snippet=SNIPPET)
    assert outcome.passed, outcome.message


def test_patterns_and_snippet_together(tmp_path):
    root = write(tmp_path, "6. COPY --from=builder app.jar /app/\n")
    assert judge(root, 6, expected=["--from"], snippet=SNIPPET).passed
    outcome = judge(root, 6, expected=["--chown"], snippet=SNIPPET)
    assert not outcome.passed
    assert "/--chown/" in outcome.message


def test_a_stage_named_in_capitals_in_the_rubric(tmp_path):
    root = write(tmp_path, "6. COPY --from=builder app.jar /app/\n")
    assert judge(root, 6, snippet={**SNIPPET, "stage": "Builder"}).passed


def test_a_source_given_with_its_directory(tmp_path):
    root = write(tmp_path, "6. COPY --from=builder /app/target/app.jar /app/\n")
    assert judge(root, 6, snippet={**SNIPPET, "source": "target/app.jar"}).passed
    root = write(tmp_path, "6. COPY --from=builder /app/app.jar /app/\n")
    assert not judge(root, 6, snippet={**SNIPPET, "source": "target/app.jar"}).passed


# -- reading the file --------------------------------------------------------------------------


def test_a_missing_file(tmp_path):
    outcome = judge(tmp_path, 6, snippet=SNIPPET)
    assert not outcome.passed
    assert outcome.message == "question 6: ANSWERS.md is missing from the repository"


def test_a_symlink_out_of_the_repository(tmp_path):
    outside = tmp_path / "outside.md"
    outside.write_text("6. COPY --from=builder app.jar /app/\n")
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "ANSWERS.md").symlink_to(outside)
    outcome = judge(repo, 6, snippet=SNIPPET)
    assert not outcome.passed
    assert outcome.message == ("question 6: ANSWERS.md leads outside the repository (a symlink?)")


def test_a_symlink_inside_the_repository_is_followed(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "answers.md").write_text("4. scratch\n")
    (tmp_path / "ANSWERS.md").symlink_to("docs/answers.md")
    assert judge(tmp_path, 4, expected=["scratch"]).passed


def test_a_symlink_loop(tmp_path):
    (tmp_path / "ANSWERS.md").symlink_to("ANSWERS.md")
    outcome = judge(tmp_path, 4, expected=["scratch"])
    assert not outcome.passed
    assert outcome.message == "question 4: ANSWERS.md cannot be read (a symlink loop)"


def test_a_binary_file(tmp_path):
    outcome = judge(write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"), 4, expected=["x"])
    assert not outcome.passed
    assert outcome.message == "question 4: ANSWERS.md is a binary file, not text"


def test_utf16_from_notepad_is_text(tmp_path):
    data = "4. scratch\r\n".encode("utf-16")
    assert data.startswith((b"\xff\xfe", b"\xfe\xff"))
    assert judge(write(tmp_path, data), 4, expected=["scratch"]).passed


def test_a_bom_and_latin1_bytes_are_read(tmp_path):
    assert judge(write(tmp_path, b"\xef\xbb\xbf4. scratch\n"), 4, expected=["^scratch"]).passed
    assert judge(write(tmp_path, b"4. scratch \xe9\n"), 4, expected=["scratch"]).passed


def test_a_huge_file_is_not_read(tmp_path):
    path = tmp_path / "ANSWERS.md"
    with path.open("wb") as handle:
        handle.write(b"4. scratch\n")
        handle.truncate(MAX_TEXT_BYTES + 1)
    outcome = judge(tmp_path, 4, expected=["scratch"])
    assert not outcome.passed
    assert outcome.message == "question 4: ANSWERS.md is too large to be read (over 256 KiB)"


def test_a_file_right_at_the_cap_is_read(tmp_path):
    body = b"4. scratch\n"
    write(tmp_path, body + b" " * (MAX_TEXT_BYTES - len(body)))
    assert judge(tmp_path, 4, expected=["scratch"]).passed


def test_a_directory(tmp_path):
    (tmp_path / "ANSWERS.md").mkdir()
    outcome = judge(tmp_path, 4, expected=["scratch"])
    assert outcome.message == "question 4: ANSWERS.md is a directory, not a file"


def test_a_fifo_is_never_read(tmp_path):
    os.mkfifo(tmp_path / "ANSWERS.md")
    outcome = judge(tmp_path, 4, expected=["scratch"])  # would block forever if opened blocking
    assert outcome.message == "question 4: ANSWERS.md is not a regular file"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_an_unreadable_file(tmp_path):
    path = write(tmp_path, "4. scratch\n") / "ANSWERS.md"
    path.chmod(0)
    try:
        outcome = judge(tmp_path, 4, expected=["scratch"])
    finally:
        path.chmod(0o644)
    assert outcome.message == "question 4: ANSWERS.md cannot be read: permission denied"


def test_a_permission_error_whoever_runs_the_tests(tmp_path, monkeypatch):
    write(tmp_path, "4. scratch\n")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(grader.files.os, "open", refuse)
    outcome = judge(tmp_path, 4, expected=["scratch"])
    monkeypatch.undo()
    assert outcome.message == "question 4: ANSWERS.md cannot be read: permission denied"


def test_read_repo_text_in_a_subdirectory(tmp_path):
    write(tmp_path, "x", name="task5/REDUCTION.md")
    assert read_repo_text(tmp_path, "task5/REDUCTION.md") == "x"
    with pytest.raises(StudentFileError, match=r"^task5/NOPE\.md is missing"):
        read_repo_text(tmp_path, "task5/NOPE.md")
    with pytest.raises(StudentFileError, match="too large"):
        read_repo_text(tmp_path, "task5/REDUCTION.md", limit=0)
