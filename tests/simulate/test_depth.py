import pytest

from microneedling.core.errors import ValidationError
from microneedling.simulate.depth import DepthReach, Layer, depth_reached


def reach(needle_mm: float, efficiency: float = 0.198) -> DepthReach:
    return depth_reached(
        needle_mm, epidermis_um=50, dermis_um=1000, efficiency=efficiency, papillary_fraction=0.2
    )


def test_kalluri_efficiency_turns_770um_into_152um() -> None:
    result = depth_reached(
        0.77, epidermis_um=50, dermis_um=1000, efficiency=152.5 / 770, papillary_fraction=0.2
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


def test_boundaries_and_warnings() -> None:
    full = reach(1.2, efficiency=1.0)
    assert full.layer is Layer.BEYOND_DERMIS
    assert "expected to pass the dermis" in (full.warning or "")
    assert "if the needle entered fully" in (reach(2.5).warning or "")
    assert reach(0.5).warning is None
    boundary = reach(0.05, efficiency=1.0)
    assert boundary.layer is Layer.EPIDERMIS
    assert boundary.papillary_bottom_mm == pytest.approx(0.25)
    with pytest.raises(ValidationError):
        reach(0.0)
    with pytest.raises(ValidationError):
        reach(1.0, efficiency=1.5)
