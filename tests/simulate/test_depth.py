import pytest

from microneedling.core.anatomy import papillary_dermis, penetration_efficiency, zone_anatomy
from microneedling.core.errors import ValidationError
from microneedling.core.zones import FacialZone
from microneedling.simulate.depth import DepthReach, Layer, depth_reached, zone_depth


def reach(needle_mm: float, efficiency: float = 0.198) -> DepthReach:
    return depth_reached(
        needle_mm, epidermis_um=50, dermis_um=1000, efficiency=efficiency, papillary_um=350
    )


def test_kalluri_efficiency_turns_770um_into_152um() -> None:
    result = depth_reached(
        0.77, epidermis_um=50, dermis_um=1000, efficiency=152.5 / 770, papillary_um=350
    )
    assert result.effective_mm == pytest.approx(0.1525)
    assert result.layer is Layer.PAPILLARY_DERMIS


@pytest.mark.parametrize(
    ("needle", "layer", "full"),
    [
        (0.2, Layer.EPIDERMIS, Layer.PAPILLARY_DERMIS),
        (1.0, Layer.PAPILLARY_DERMIS, Layer.RETICULAR_DERMIS),
        (2.5, Layer.RETICULAR_DERMIS, Layer.BEYOND_DERMIS),
    ],
)
def test_layers(needle: float, layer: Layer, full: Layer) -> None:
    result = reach(needle)
    assert result.layer is layer
    assert result.layer_if_fully_inserted is full


def test_papillary_dermis_is_absolute_not_a_fraction() -> None:
    """Sorrell & Caplan 2004: 300-400 um, whatever the dermis; a thin dermis is all papillary."""
    assert papillary_dermis().value == 350
    assert (papillary_dermis().low, papillary_dermis().high) == (300, 400)
    assert reach(0.05, efficiency=1.0).papillary_bottom_mm == pytest.approx(0.4)
    thin = depth_reached(0.3, epidermis_um=40, dermis_um=250, efficiency=1.0, papillary_um=350)
    assert thin.papillary_bottom_mm == pytest.approx(thin.dermis_bottom_mm)


def test_boundaries_and_warnings() -> None:
    full = reach(1.2, efficiency=1.0)
    assert full.layer is Layer.BEYOND_DERMIS
    assert "expected to pass the dermis" in (full.warning or "")
    deep = reach(2.5).warning or ""
    assert "if it entered fully" in deep and "2.5 mm (nominal)" in deep and "0.49 mm" in deep
    assert reach(0.5).warning is None
    boundary = reach(0.05, efficiency=1.0)
    assert boundary.layer is Layer.EPIDERMIS
    with pytest.raises(ValidationError):
        reach(0.0)
    with pytest.raises(ValidationError):
        reach(1.0, efficiency=1.5)


def test_zone_depth_uses_the_shared_anatomy() -> None:
    cheek = zone_anatomy()[FacialZone.CHEEK_LEFT]
    result = zone_depth(FacialZone.CHEEK_LEFT, 1.0)
    assert result.dermis_bottom_mm == pytest.approx(cheek.skin_mm)
    assert result.effective_mm == pytest.approx(1.0 * penetration_efficiency().value)
    assert "1 mm nominal → about 0.20 mm effective" in result.explanation()


def test_neck_dermis_from_meng_2022() -> None:
    """Meng et al. 2022 (BMC Med Imaging): neck dermis 0.98 mm (men), 0.99 mm (women)."""
    assert zone_anatomy()[FacialZone.NECK].dermis_um.value == pytest.approx(985)
    assert zone_anatomy()[FacialZone.NECK].dermis_um.source == "bmc2022"
