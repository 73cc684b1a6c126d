import numpy as np
import pytest

from microneedling.core.clinical import Pattern
from microneedling.core.errors import ValidationError
from microneedling.core.zones import FacialZone
from microneedling.simulate.devices import find_device
from microneedling.simulate.geometry import rectangle, zone_outlines
from microneedling.simulate.puncture_field import (
    TreatmentSettings,
    expected_density_per_cm2,
    generate_punctures,
)

SQUARE = rectangle("test", 40, 40)


@pytest.mark.parametrize(
    ("model", "settings"),
    [
        ("Dermapen 4", TreatmentSettings(depth_mm=1.0, passes=3)),
        ("Dermapen MD", TreatmentSettings(depth_mm=0.5, passes=2, speed_mm_s=50, overlap=0.5)),
        ("Dermaroller MF8", TreatmentSettings(depth_mm=1.5, passes=4, overlap=0.0)),
        ("Derma stamp 36", TreatmentSettings(depth_mm=1.0, passes=3, overlap=0.1)),
    ],
)
def test_simulated_density_matches_device_geometry(model: str, settings: TreatmentSettings) -> None:
    device = find_device(model)
    field = generate_punctures(device, settings, SQUARE)
    density = len(field) / SQUARE.area_cm2
    assert density == pytest.approx(expected_density_per_cm2(device, settings), rel=0.04)


def test_roller_15_passes_reproduce_published_hole_density() -> None:
    """Doddaballapur 2009: 15 passes of a 192-needle roller give about 250 holes/cm2."""
    roller = find_device("Dermaroller MF8")
    field = generate_punctures(
        roller, TreatmentSettings(depth_mm=1.5, passes=15, overlap=0.0), SQUARE
    )
    assert len(field) / SQUARE.area_cm2 == pytest.approx(250, rel=0.15)


def test_fields_are_inside_the_zone_reproducible_and_per_pass() -> None:
    pen = find_device("Dermapen 4")
    outline = zone_outlines()[FacialZone.FOREHEAD]
    settings = TreatmentSettings(depth_mm=0.5, passes=4, seed=7)
    field = generate_punctures(pen, settings, outline)
    again = generate_punctures(pen, settings, outline)
    assert np.array_equal(field.xy, again.xy)
    assert set(np.unique(field.pass_index)) == {0, 1, 2, 3}
    assert outline.contains(field.xy).mean() > 0.999  # the raster mask is 0.1 mm at the edge
    other = generate_punctures(pen, TreatmentSettings(depth_mm=0.5, passes=4, seed=8), outline)
    assert not np.array_equal(field.xy, other.xy)


@pytest.mark.parametrize("pattern", list(Pattern))
def test_every_pattern_covers_the_zone(pattern: Pattern) -> None:
    pen = find_device("Dermapen 4")
    field = generate_punctures(
        pen, TreatmentSettings(depth_mm=1, passes=2, pattern=pattern), SQUARE
    )
    counts, _, _ = np.histogram2d(field.xy[:, 0], field.xy[:, 1], bins=4, range=[[0, 40]] * 2)
    assert counts.min() > 0.5 * counts.mean()


def test_more_passes_more_punctures() -> None:
    pen = find_device("Dermapen 4")
    counts = [
        len(generate_punctures(pen, TreatmentSettings(depth_mm=1, passes=p), SQUARE))
        for p in (1, 2, 4)
    ]
    assert counts[0] < counts[1] < counts[2]
    assert counts[2] / counts[0] == pytest.approx(4, rel=0.05)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"speed_mm_s": -5}, "speed_mm_s"),
        ({"depth_mm": 3.5}, "depth_mm"),
        ({"passes": 0}, "passes"),
        ({"frequency_hz": 500}, "frequency_hz"),
        ({"overlap": 1.2}, "overlap"),
    ],
)
def test_bad_settings_are_refused(kwargs: dict[str, float], field: str) -> None:
    settings = TreatmentSettings(**({"depth_mm": 1.0} | kwargs))  # type: ignore[arg-type]
    with pytest.raises(ValidationError) as err:
        generate_punctures(find_device("Dermapen 4"), settings, SQUARE)
    assert err.value.field == field
