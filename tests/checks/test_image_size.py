import pytest

from grader.checks import image_size
from tests.checks.helpers import criterion, facts, task


def test_within_the_limit():
    c = criterion(check="image_size", max="20MB")
    outcome = image_size.evaluate(c, facts(task(c), size=1_826_000))
    assert outcome.passed
    assert outcome.message == "1.8 MB (1,826,000 bytes), within the 20.0 MB limit"
    assert outcome.evidence.measured == 1_826_000
    assert outcome.evidence.limit == 20_000_000


def test_over_the_limit_without_partial_credit():
    c = criterion(check="image_size", max="20MB")
    outcome = image_size.evaluate(c, facts(task(c), size=830_000_000))
    assert not outcome.passed
    assert outcome.fraction == 0


@pytest.mark.parametrize(
    ("size", "fraction"),
    [(20_000_000, 1.0), (60_000_000, 0.75), (180_000_000, 0.0), (500_000_000, 0.0)],
)
def test_partial_credit_is_linear(size, fraction):
    c = criterion(check="image_size", max="20MB", zero_at="180MB")
    outcome = image_size.evaluate(c, facts(task(c), size=size))
    assert outcome.fraction == pytest.approx(fraction)
    assert outcome.passed == (fraction == 1.0)
