"""Pydantic models: the single source of truth for the inspect, rubric and results contracts.

Every other module depends on these; these depend on nothing else in the package.
"""
