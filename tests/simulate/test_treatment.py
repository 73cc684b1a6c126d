import pytest

from microneedling.core.errors import ValidationError
from microneedling.core.zones import FacialZone
from microneedling.simulate.absorption import find_topical
from microneedling.simulate.devices import find_device
from microneedling.simulate.puncture_field import TreatmentSettings
from microneedling.simulate.treatment import ProductUse, Schedule, simulate_treatment


def test_summary_of_a_series() -> None:
    result = simulate_treatment(
        find_device("Dermapen 4"),
        TreatmentSettings(depth_mm=1.0),
        [FacialZone.CHEEK_LEFT, FacialZone.PERIORBITAL_LEFT],
        schedule=Schedule(4, 30),
        product=ProductUse(find_topical("caffeine")),
        depth_by_zone={FacialZone.PERIORBITAL_LEFT: 0.25},
    )
    summary = result.summary()
    cheek, eye = summary["zones"]
    assert summary["schedule"] == {"sessions": 4, "interval_days": 30}
    assert summary["punctures_per_session"] == cheek["punctures"] + eye["punctures"]
    assert eye["depth_mm"] == 0.25 and cheek["depth_mm"] == 1.0
    assert cheek["erythema_settled_day"] > eye["erythema_settled_day"]
    assert cheek["collagen_pct_by_week"][12] > eye["collagen_pct_by_week"][12]
    assert cheek["absorption"]["enhancement_ratio"] > 1
    assert "not medical advice" in summary["disclaimer"]
    assert summary["model_version"].startswith("field-")
    weekly = cheek["weekly"]
    assert weekly["week"][:3] == [0, 1, 2] and weekly["collagen_pct"][0] == 0.0
    assert len(weekly["collagen_pct"]) == len(weekly["elastin_pct"]) == len(weekly["week"])
    hourly = cheek["absorption"]["hourly"]
    assert hourly["hour"][-1] == 24.0
    assert hourly["cumulative_ug_cm2"] == sorted(hourly["cumulative_ug_cm2"])
    histogram = cheek["spacing_histogram"]
    assert len(histogram["edges_mm"]) == len(histogram["counts"]) + 1
    assert sum(histogram["counts"]) > 0


def test_deep_setting_on_thin_skin_warns() -> None:
    result = simulate_treatment(
        find_device("Dermapen 4"), TreatmentSettings(depth_mm=2.5), [FacialZone.PERIORBITAL_LEFT]
    )
    (warning,) = result.summary()["warnings"]
    assert "would pass the dermis" in warning


def test_schedule_and_zone_checks() -> None:
    pen = find_device("Dermapen 4")
    with pytest.raises(ValidationError, match="sessions"):
        simulate_treatment(
            pen, TreatmentSettings(depth_mm=1), [FacialZone.CHIN], schedule=Schedule(0, 30)
        )
    with pytest.raises(ValidationError, match="at least one zone"):
        simulate_treatment(pen, TreatmentSettings(depth_mm=1), [])
