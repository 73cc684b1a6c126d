"""How deep a needle gets: nominal length against the zone's epidermis and dermis.

Skin deforms under the needle, so a needle enters far less than its length: the penetration
efficiency (Kalluri 2011: 152.5 um channels from 770 um needles) scales nominal to effective depth.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from microneedling.core.errors import ValidationError


class Layer(StrEnum):
    EPIDERMIS = "epidermis"
    PAPILLARY_DERMIS = "papillary_dermis"
    RETICULAR_DERMIS = "reticular_dermis"
    BEYOND_DERMIS = "beyond_dermis"


@dataclass(frozen=True)
class DepthReach:
    needle_mm: float
    effective_mm: float
    layer: Layer
    layer_if_fully_inserted: Layer
    epidermis_mm: float
    papillary_bottom_mm: float
    dermis_bottom_mm: float

    @property
    def warning(self) -> str | None:
        if self.layer is Layer.BEYOND_DERMIS:
            return (
                f"{self.needle_mm:g} mm is expected to pass the dermis "
                f"({self.dermis_bottom_mm:.2f} mm deep here)"
            )
        if self.layer_if_fully_inserted is Layer.BEYOND_DERMIS:
            return (
                f"{self.needle_mm:g} mm would pass the dermis ({self.dermis_bottom_mm:.2f} mm) "
                "if the needle entered fully, e.g. on thin or stretched skin"
            )
        return None


def layer_at(depth_mm: float, epidermis_mm: float, papillary_mm: float, dermis_mm: float) -> Layer:
    if depth_mm <= epidermis_mm:
        return Layer.EPIDERMIS
    if depth_mm <= epidermis_mm + papillary_mm:
        return Layer.PAPILLARY_DERMIS
    if depth_mm <= epidermis_mm + dermis_mm:
        return Layer.RETICULAR_DERMIS
    return Layer.BEYOND_DERMIS


def depth_reached(
    needle_mm: float,
    *,
    epidermis_um: float,
    dermis_um: float,
    efficiency: float,
    papillary_fraction: float,
) -> DepthReach:
    """The layer a needle setting reaches, effectively and if it entered fully."""
    if needle_mm <= 0:
        raise ValidationError("depth_mm", f"{needle_mm:g} mm must be above 0")
    if not 0 < efficiency <= 1:
        raise ValidationError("penetration_efficiency", f"{efficiency:g} is outside (0, 1]")
    epidermis, dermis = epidermis_um / 1000.0, dermis_um / 1000.0
    papillary = papillary_fraction * dermis
    effective = needle_mm * efficiency
    return DepthReach(
        needle_mm=needle_mm,
        effective_mm=effective,
        layer=layer_at(effective, epidermis, papillary, dermis),
        layer_if_fully_inserted=layer_at(needle_mm, epidermis, papillary, dermis),
        epidermis_mm=epidermis,
        papillary_bottom_mm=epidermis + papillary,
        dermis_bottom_mm=epidermis + dermis,
    )
