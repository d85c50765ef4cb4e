import pytest

from grader.units import format_bytes, format_points


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (0, "0 B"),
        (999, "999 B"),
        (1000, "1.0 kB"),
        (1_826_000, "1.8 MB"),
        (830e6, "830.0 MB"),
        (2_147_483_648, "2.1 GB"),
        (5e15, "5000.0 TB"),
    ],
)
def test_sizes_read_like_docker_images(size, shown):
    assert format_bytes(size) == shown


@pytest.mark.parametrize(
    ("points", "shown"), [(2.0, "2"), (2.5, "2.5"), (0.0, "0"), (1.25, "1.25")]
)
def test_points_without_noise(points, shown):
    assert format_points(points) == shown
