"""Numbers as people read them. Sizes use decimal units, as `docker images` does."""

from __future__ import annotations

_UNITS = ("B", "kB", "MB", "GB", "TB")


def format_bytes(size: float) -> str:
    """1826000 -> '1.8 MB': decimal units, one decimal from kB up, like the Docker CLI."""
    value = float(size)
    for unit in _UNITS:
        if abs(value) < 1000 or unit == _UNITS[-1]:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")


def format_points(points: float) -> str:
    """2.0 -> '2', 2.5 -> '2.5': scores without noise."""
    return f"{points:.2f}".rstrip("0").rstrip(".")
