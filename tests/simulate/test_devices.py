from pathlib import Path

import numpy as np
import pytest

from microneedling.core.errors import NotFoundError, ValidationError
from microneedling.simulate.devices import (
    PenSpec,
    RollerSpec,
    StampSpec,
    catalogue,
    find_device,
    load_devices_file,
)


def test_catalogue_covers_the_required_devices() -> None:
    devices = catalogue()
    pens = {d.needles for d in devices if isinstance(d, PenSpec)}
    assert {12, 16} <= pens
    roller = find_device("dermaroller mf8")
    assert isinstance(roller, RollerSpec)
    assert roller.needles == 192 and roller.rows == 8  # Schwarz & Laaff 2011
    assert roller.drum_diameter_mm == 20 and roller.drum_width_mm == 20
    assert any(isinstance(d, StampSpec) for d in devices)


def test_needle_layouts() -> None:
    pen = find_device("Dermapen 4")
    assert isinstance(pen, PenSpec)
    offsets = pen.needle_offsets()
    assert offsets.shape == (16, 2)
    assert np.hypot(*offsets.T).max() <= pen.footprint_mm / 2
    stamp = find_device("Derma stamp 36")
    assert isinstance(stamp, StampSpec)
    grid = stamp.needle_offsets()
    assert grid.shape == (36, 2)
    assert np.allclose(grid.mean(axis=0), 0)


def test_custom_devices_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text(
        "pens:\n  - {model: MyPen, needles: 24, frequency_hz: {min: 50, max: 100},\n"
        "     depth_mm: {min: 0.25, max: 2.0}, footprint_mm: 7}\n"
    )
    (device,) = load_devices_file(path)
    assert find_device("mypen", [device]).needles == 24


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (
            "pens: [{model: X, needles: 0, frequency_hz: {min: 1, max: 2}, depth_mm: {min: 0.2, "
            "max: 1}, footprint_mm: 5}]",
            "pens[0].needles",
        ),
        (
            "pens: [{model: X, needles: 12, frequency_hz: {min: 100, max: 20}, depth_mm: {min: 0.2,"
            " max: 1}, footprint_mm: 5}]",
            "pens[0].frequency_hz",
        ),
        (
            "rollers: [{model: R, needles: 190, rows: 8, drum_diameter_mm: 20, drum_width_mm: 20, "
            "needle_length_mm: 1}]",
            "do not divide",
        ),
        ("lasers: []", "lasers"),
        ("pens: [{model: X", "not valid YAML"),
    ],
)
def test_bad_device_specs_are_refused(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(ValidationError) as err:
        load_devices_file(path)
    assert fragment in str(err.value)


def test_unknown_device() -> None:
    with pytest.raises(NotFoundError, match="known: Dermapen 4"):
        find_device("Laser 3000")
