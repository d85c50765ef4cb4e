"""grader: grades Docker course exercises by building them on a real Docker Engine."""

__version__ = "0.1.0"
