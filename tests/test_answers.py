"""grader.answers: an answers file split into its numbered answers, however they are numbered."""

import pytest

from grader.answers import fenced_blocks, inline_code, split_answers


@pytest.mark.parametrize(
    "heading",
    [
        "6.",
        "6)",
        "6:",
        "Q6",
        "Q6:",
        "q6.",
        "Q 6",
        "Q.6",
        "Question 6",
        "question 6:",
        "QUESTION 6.",
        "Answer 6:",
        "**6.**",
        "**6**.",
        "__6.__",
        "*6.*",
        "**Q6:**",
        "**Question 6**",
        "## 6",
        "## 6.",
        "### Question 6",
        "### **Question 6:**",
        "#### Q6)",
        "- **Q6:**",
        "   6.",
    ],
)
def test_every_spelling_of_a_question_start(heading):
    text = f"{heading} the answer\nsecond line\n"
    answers = split_answers(text)
    assert answers.texts == {6: "the answer\nsecond line"}
    assert answers.questions[6].line == 1


@pytest.mark.parametrize("heading", ["6.", "**Q6:**", "## Question 6"])
def test_the_answer_may_start_on_the_next_line(heading):
    answers = split_answers(f"{heading}\n\nthe answer\n\n")
    assert answers.texts == {6: "the answer"}


@pytest.mark.parametrize(
    "line",
    [
        "6 apples",  # a bare number needs its '.', ')' or ':'
        "6.5 GB is the size",
        "2024-01-01",
        "- 6. a list item",
        "Q6abc",
        "Question6x",
        "16px",
    ],
)
def test_lines_that_do_not_start_a_question(line):
    answers = split_answers(f"1. first\n{line}\n")
    assert answers.texts == {1: f"first\n{line}"}


def test_answers_run_to_the_next_question_and_the_preamble_is_dropped():
    text = "# My answers\nby Alice\n\n1. one\nmore of one\n2) two\n\nQ3: three\n"
    assert split_answers(text).texts == {1: "one\nmore of one", 2: "two", 3: "three"}


def test_crlf_and_cr_line_ends():
    assert split_answers("1. one\r\n2. two\r\n").texts == {1: "one", 2: "two"}
    assert split_answers("1. one\r2. two\r").texts == {1: "one", 2: "two"}


def test_a_fenced_block_is_kept_whole():
    text = (
        "1. see\n"
        "```dockerfile\n"
        "1. not a question\n"
        "## 2 not a heading\n"
        "# 3. a comment\n"
        "COPY --from=builder a b\n"
        "```\n"
        "2. two\n"
    )
    answers = split_answers(text)
    assert set(answers.texts) == {1, 2}
    assert "COPY --from=builder a b\n```" in answers.texts[1]
    assert answers.repeated == {}


def test_tilde_fences_and_longer_closing_fences():
    text = "1. a\n~~~~\n2. inside\n~~~\n3. still inside\n~~~~~\n2. two\n"
    answers = split_answers(text)
    assert set(answers.texts) == {1, 2}
    assert answers.texts[2] == "two"


def test_backticks_on_one_line_are_no_fence():
    answers = split_answers("1. ```COPY a b``` inline\n2. two\n")
    assert answers.texts == {1: "```COPY a b``` inline", 2: "two"}


def test_an_unclosed_fence_runs_to_the_end_and_is_noted():
    answers = split_answers("1. a\n```\nCOPY a b\n2. lost\n")
    assert set(answers.texts) == {1}
    assert answers.unclosed_fence == 2
    assert any("never closed" in note for note in answers.notes(2))


def test_a_repeated_number_the_first_wins_and_it_is_said():
    text = "1. one\n2. two\n3. three\n2. two again\n"
    answers = split_answers(text)
    assert answers.texts[2] == "two"
    assert answers.texts[3] == "three\n2. two again"  # read as part of the answer above
    assert answers.repeated == {2: (4,)}
    (note,) = answers.notes(2)
    assert "line 4" in note
    assert "line 2" in note
    assert answers.notes(1) == []


def test_a_list_nested_under_an_answer_is_not_a_question():
    text = "1. one\n2. two\n3. why:\n   1. debugging\n   2. testing\n4. four\n"
    answers = split_answers(text)
    assert answers.texts[3] == "why:\n   1. debugging\n   2. testing"
    assert answers.texts[4] == "four"
    assert answers.repeated == {}


def test_indented_answers_like_the_rendered_lesson():
    text = "  1. one\n  2. two\n     1. nested\n  3. three\n"
    answers = split_answers(text)
    assert answers.texts == {1: "one", 2: "two\n     1. nested", 3: "three"}


def test_with_headings_a_numbered_list_inside_an_answer_stays_in_it():
    text = (
        "## Question 4\nscratch\n\n"
        "## Question 5\n"
        "1. debugging\n2. testing\n3. CI caching\n\n"
        "## Question 6\nCOPY --from=builder app.jar /app/\n"
    )
    answers = split_answers(text)
    assert set(answers.texts) == {4, 5, 6}
    assert answers.texts[5] == "1. debugging\n2. testing\n3. CI caching"


def test_a_bare_start_among_marked_ones_counts_where_it_continues_the_sequence():
    text = "**1.** one\n**2.** two\n3. three, emphasis forgotten\n**4.** four\n"
    answers = split_answers(text)
    assert answers.texts[3] == "three, emphasis forgotten"
    assert set(answers.texts) == {1, 2, 3, 4}


def test_a_dockerfile_comment_in_plain_text_is_no_heading():
    text = "1. one\n2. two\n6. FROM golang AS builder\n# 1. build\nCOPY --from=builder a b\n"
    answers = split_answers(text)
    assert answers.texts[6] == "FROM golang AS builder\n# 1. build\nCOPY --from=builder a b"
    assert answers.texts[1] == "one"


def test_out_of_order_answers_are_all_found():
    answers = split_answers("2. two\n1. one\n3. three\n")
    assert answers.texts == {1: "one", 2: "two", 3: "three"}
    assert list(answers.questions) == [1, 2, 3]


def test_the_separator_after_the_number_is_dropped():
    assert split_answers("Question 6 - the answer").texts == {6: "the answer"}
    assert split_answers("Question 6 — the answer").texts == {6: "the answer"}
    assert split_answers("**Q6:** the answer").texts == {6: "the answer"}


def test_no_questions_at_all():
    answers = split_answers("I did not number anything.\n")
    assert answers.texts == {}
    assert split_answers("").texts == {}


def test_fenced_blocks_and_inline_code():
    text = "Use `COPY --from=builder a /app/` or ``WORKDIR /app``:\n```\nRUN x\n```\n~~~\nRUN y\n"
    assert fenced_blocks(text) == ["RUN x", "RUN y"]
    assert inline_code(text) == ["COPY --from=builder a /app/", "WORKDIR /app"]
    assert inline_code("```\n`not inline`\n```\n") == []


def test_an_unclosed_fence_is_noted_only_where_it_matters():
    answers = split_answers("1. one\n2. two\n```\nCOPY a b\n3. lost\n")
    assert answers.notes(1) == []
    assert any("never closed" in note for note in answers.notes(2))  # it runs to the end
    assert any("never closed" in note for note in answers.notes(3))  # the missing one


def test_a_fence_may_open_on_the_questions_own_line():
    text = "5. --target\n6. ```dockerfile\n   COPY --from=builder app.jar /app/\n   ```\n"
    found = split_answers(text)
    assert sorted(found.questions) == [5, 6]
    assert found.unclosed_fence is None
    assert fenced_blocks(found.questions[6].text) == ["   COPY --from=builder app.jar /app/"]
