"""The similarity report: alike submissions of one class, per task, for the instructor only.

``grader.similarity`` computes it from a results.json alone. It depends on nothing but the base
model, so ``results`` can carry it without an import cycle.
"""

from __future__ import annotations

from pydantic import Field

from grader.models.base import Frozen

MAX_PAIRS = 50
"""Linking pairs listed per cluster: a big cluster's structure, not all its pairs."""


class SimilarPair(Frozen):
    """Two students of one task and how alike their work is."""

    students: tuple[str, str] = Field(
        description="The two student ids, sorted. Each stands for its group of the cluster: "
        "every member of a group handed in the same normalised work."
    )
    score: float = Field(
        ge=0,
        le=1,
        description="How alike, 0 to 1, rounded to 3 digits: the dockerfile part alone when "
        "sources is null, else the mean of the two parts.",
    )
    dockerfile: float = Field(
        ge=0,
        le=1,
        description="How alike the normalised Dockerfiles are: difflib's ratio of their "
        "canonical instruction lines (the better of its two directions).",
    )
    sources: float | None = Field(
        ge=0,
        le=1,
        description="Jaccard index of the contents of their own files (the class template "
        "left out); null when either has no file of its own.",
    )


class Cluster(Frozen):
    """Students of one task linked by pairs at or above the threshold (single linkage)."""

    task: str = Field(description="The task id.")
    students: list[str] = Field(min_length=2, description="Every member, sorted.")
    identical: bool = Field(
        description="Every member's normalised Dockerfile and own files are the same."
    )
    score: float = Field(
        ge=0,
        le=1,
        description="The lowest score of the pairs that link the cluster (1 when identical): "
        "the highest threshold at which these students would still be one cluster.",
    )
    groups: list[list[str]] = Field(
        min_length=1,
        description="The members split by identical normalised work, biggest group first, "
        "each sorted; one group when identical.",
    )
    pairs: list[SimilarPair] = Field(
        max_length=MAX_PAIRS,
        description="The pairs that link the groups (a maximum spanning tree, one pair fewer "
        f"than groups), highest first, at most {MAX_PAIRS}; each names a group by its first "
        "member. Empty when identical.",
    )


class SimilarityReport(Frozen):
    """Alike submissions of a class: MOSS-like clusters for Dockerfiles and their sources."""

    threshold: float = Field(
        gt=0, le=1, description="Pairs at least this alike (score, rounded) are linked."
    )
    clusters: list[Cluster] = Field(
        description="By task in rubric order, then biggest first, then highest score."
    )
    compared: dict[str, int] = Field(
        description="Task id -> how many submissions had a Dockerfile to compare, in rubric order."
    )
