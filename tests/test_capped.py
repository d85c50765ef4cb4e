from hypothesis import given
from hypothesis import strategies as st

from grader.capped import CappedBuffer, one_line


def test_short_output_is_kept_whole():
    buffer = CappedBuffer(100)
    buffer.write(b"hello ")
    buffer.write(b"world")
    assert buffer.text() == "hello world"
    assert not buffer.truncated
    assert buffer.total == 11


def test_long_output_keeps_head_and_tail_and_says_what_was_cut():
    buffer = CappedBuffer(10)
    for chunk in (b"ABCDE", b"xxxxxxxxxx" * 100, b"VWXYZ"):
        buffer.write(chunk)
    assert buffer.truncated
    assert buffer.text() == "ABCDE\n[... 1,000 bytes cut by grader ...]\nVWXYZ"


def test_invalid_utf8_never_raises():
    buffer = CappedBuffer(8)
    buffer.write(b"\xff\xfe\x00abc")
    assert buffer.text() == "\ufffd\ufffd\x00abc"


@given(st.lists(st.binary(max_size=50), max_size=30), st.integers(min_value=0, max_value=64))
def test_memory_is_bounded_and_ends_are_exact(chunks, limit):
    buffer = CappedBuffer(limit)
    for chunk in chunks:
        buffer.write(chunk)
    data = b"".join(chunks)
    assert buffer.total == len(data)
    head = limit - limit // 2
    tail = limit // 2
    kept_head = bytes(buffer._head)
    kept_tail = b"".join(buffer._tail)
    assert len(kept_head) <= head
    assert len(kept_tail) <= tail
    assert data.startswith(kept_head)
    assert data.endswith(kept_tail)
    if len(data) <= limit:
        assert kept_head + kept_tail == data
        assert not buffer.truncated


def test_one_line_folds_white_space_and_spells_out_what_the_sanitiser_neutralises():
    assert one_line("a\n  b\x1b[31mc\u202e\x00") == "a b\\x1b[31mc\\u202e\\x00"
    cut = one_line("\x07" * 100, limit=20)
    assert cut.startswith("\\x07" * 4)
    assert cut.endswith("(381 more characters)")
