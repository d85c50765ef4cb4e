"""Every check kind the rubric language offers has exactly one registered implementation."""

import typing

from grader.checks import CHECKS
from grader.models.criteria import Criterion


def test_registry_matches_the_union():
    union = typing.get_args(typing.get_args(Criterion)[0])
    kinds = {typing.get_args(model.model_fields["check"].annotation)[0] for model in union}
    assert kinds == set(CHECKS)
    for kind in CHECKS.values():
        assert kind.title
