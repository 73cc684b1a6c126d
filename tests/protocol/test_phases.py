from datetime import UTC, datetime, timedelta

import pytest

from microneedling.core.clinical import ClinicalEndpoint, Pattern, Phase
from microneedling.core.errors import PhaseOrderError, ValidationError
from microneedling.core.zones import FacialZone
from microneedling.protocol.knowledge import Knowledge
from microneedling.protocol.phases import (
    PostTreatment,
    Preparation,
    ZoneTreatment,
    check_post_treatment,
    check_preparation,
    check_zone_treatment,
    next_phase,
    require_phase,
)

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def test_phase_order() -> None:
    assert next_phase(Phase.SCHEDULED) is Phase.PREPARATION
    assert next_phase(Phase.PREPARATION) is Phase.TREATMENT
    assert next_phase(Phase.TREATMENT) is Phase.POST_TREATMENT
    assert next_phase(Phase.POST_TREATMENT) is Phase.COMPLETED
    with pytest.raises(PhaseOrderError, match="already completed"):
        next_phase(Phase.COMPLETED)


def test_require_phase_names_both_phases() -> None:
    require_phase(Phase.TREATMENT, Phase.TREATMENT, "x")
    with pytest.raises(
        PhaseOrderError, match="in phase 'preparation', this needs phase 'treatment'"
    ):
        require_phase(Phase.PREPARATION, Phase.TREATMENT, "record a treated zone")


def prep(minutes: float, product: str | None = "emla") -> Preparation:
    return Preparation(True, product, T0, T0 + timedelta(minutes=minutes), "full face")


def test_dwell_inside_range_has_no_warning(knowledge: Knowledge) -> None:
    assert check_preparation(prep(60), knowledge) == []


def test_dwell_outside_range_warns(knowledge: Knowledge) -> None:
    (warning,) = check_preparation(prep(20), knowledge)
    assert "20 min, outside its stated 60–300 min" in warning


def test_unknown_product_warns_and_bad_times_fail(knowledge: Knowledge) -> None:
    assert "not in the catalogue" in check_preparation(prep(30, "homemade"), knowledge)[0]
    with pytest.raises(ValidationError, match="removal time must be after"):
        check_preparation(prep(-5), knowledge)
    with pytest.raises(ValidationError) as err:
        check_preparation(Preparation(False, None, None, None, None), knowledge)
    assert err.value.field == "cleansed"
    with pytest.raises(ValidationError, match="both its application and removal"):
        check_preparation(Preparation(True, "emla", T0, None, "face"), knowledge)


def zone(depth: float, reason: str | None = None, passes: int = 3) -> ZoneTreatment:
    return ZoneTreatment(
        FacialZone.CHEEK_LEFT,
        depth,
        passes,
        Pattern.CROSSHATCH,
        ClinicalEndpoint.PINPOINT_BLEEDING,
        reason,
    )


def test_depth_outside_plan_needs_reason() -> None:
    kwargs = {"planned_range_mm": (1.0, 2.0), "device_range_mm": (0.2, 3.0)}
    assert check_zone_treatment(zone(1.5), **kwargs) == []
    with pytest.raises(ValidationError) as err:
        check_zone_treatment(zone(2.5), **kwargs)
    assert err.value.field == "deviation_reason"
    (warning,) = check_zone_treatment(zone(2.5, "deep boxcar scars"), **kwargs)
    assert "deep boxcar scars" in warning


def test_depth_beyond_device_and_passes_are_refused() -> None:
    with pytest.raises(ValidationError, match="outside the device's range"):
        check_zone_treatment(zone(2.6, "x"), planned_range_mm=(1, 2), device_range_mm=(0.25, 2.5))
    with pytest.raises(ValidationError, match="passes"):
        check_zone_treatment(zone(1.5, passes=0), planned_range_mm=(1, 2), device_range_mm=(0, 3))
    with pytest.raises(ValidationError, match="not in the plan"):
        check_zone_treatment(zone(1.5), planned_range_mm=None, device_range_mm=(0, 3))


def test_non_sterile_product_warns() -> None:
    assert check_post_treatment(PostTreatment("HA serum", True, None)) == []
    assert "granulomas" in check_post_treatment(PostTreatment("vitamin C", False, None))[0]
    with pytest.raises(ValidationError):
        check_post_treatment(PostTreatment("  ", True, None))
