"""Typical skin thickness and the needle-depth limit of each facial zone (``zones.yaml``), and the
layer a needle setting reaches there: the one rule the planner and the simulation share.

A needle setting is a *nominal* depth (how far the needles stand out of the cartridge). Skin
deforms under the needle, so it enters only a fraction of that: the *effective* depth is the
nominal depth times the penetration efficiency (Kalluri 2011: 152.5 um channels from 770 um
needles, hairless rat skin; ``simulation.yaml``). A nominal depth beyond the zone's epidermis and
dermis would pass the dermis only if the needle entered fully (thin or stretched skin, skin over
bone); :attr:`DepthReach.warning` says so in the same words wherever it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from pydantic import BaseModel, ConfigDict

from microneedling.core.data import read_data
from microneedling.core.errors import ValidationError
from microneedling.core.zones import FacialZone


class SourcedValue(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    value: float
    source: str
    note: str = ""
    low: float | None = None
    high: float | None = None


class ZoneInfo(BaseModel):
    """A zone's epidermis and dermis thickness (um) and its deepest allowed needle setting."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    epidermis_um: SourcedValue
    dermis_um: SourcedValue
    max_depth_mm: SourcedValue

    @property
    def skin_mm(self) -> float:
        """Epidermis plus dermis, mm: the depth at which the dermis ends."""
        return (self.epidermis_um.value + self.dermis_um.value) / 1000.0


@cache
def zone_anatomy() -> dict[FacialZone, ZoneInfo]:
    raw = read_data("zones.yaml")["zones"]
    return {FacialZone(k): ZoneInfo.model_validate(v) for k, v in raw.items()}


@cache
def papillary_dermis() -> SourcedValue:
    """The papillary dermis's thickness, um (Sorrell & Caplan 2004: 300-400 um)."""
    return SourcedValue.model_validate(read_data("zones.yaml")["papillary_dermis_um"])


@cache
def penetration_efficiency() -> SourcedValue:
    """Effective over nominal depth (``simulation.yaml``'s ``penetration_efficiency``)."""
    return SourcedValue.model_validate(read_data("simulation.yaml")["penetration_efficiency"])


class Layer(StrEnum):
    EPIDERMIS = "epidermis"
    PAPILLARY_DERMIS = "papillary_dermis"
    RETICULAR_DERMIS = "reticular_dermis"
    BEYOND_DERMIS = "beyond_dermis"


@dataclass(frozen=True)
class DepthReach:
    """A nominal needle setting and the layer it reaches, effectively and if fully inserted."""

    needle_mm: float
    effective_mm: float
    efficiency: float
    layer: Layer
    layer_if_fully_inserted: Layer
    epidermis_mm: float
    papillary_bottom_mm: float
    dermis_bottom_mm: float

    @property
    def warning(self) -> str | None:
        """The one depth warning, the same text in a plan and in a simulation."""
        if self.layer is Layer.BEYOND_DERMIS:
            return (
                f"{self.needle_mm:g} mm is expected to pass the dermis "
                f"({self.dermis_bottom_mm:.2f} mm deep here) even though the needle enters only "
                f"about {self.effective_mm:.2f} mm"
            )
        if self.layer_if_fully_inserted is Layer.BEYOND_DERMIS:
            return (
                f"{self.needle_mm:g} mm (nominal) is deeper than the typical skin here "
                f"({self.dermis_bottom_mm:.2f} mm): the needle is expected to enter about "
                f"{self.effective_mm:.2f} mm, but would pass the dermis if it entered fully, "
                "e.g. on thin or stretched skin or over bone"
            )
        return None

    def explanation(self) -> str:
        """Nominal against effective depth, in one line."""
        return (
            f"{self.needle_mm:g} mm nominal → about {self.effective_mm:.2f} mm effective "
            f"(× {self.efficiency:.3g} penetration), {self.layer.value.replace('_', ' ')}; "
            f"the dermis ends at {self.dermis_bottom_mm:.2f} mm"
        )


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
    papillary_um: float,
) -> DepthReach:
    """The layer a nominal needle setting reaches, effectively and if it entered fully.

    The papillary dermis is ``papillary_um`` deep, or the whole dermis where that is thinner.
    """
    if needle_mm <= 0:
        raise ValidationError("depth_mm", f"{needle_mm:g} mm must be above 0")
    if not 0 < efficiency <= 1:
        raise ValidationError("penetration_efficiency", f"{efficiency:g} is outside (0, 1]")
    epidermis, dermis = epidermis_um / 1000.0, dermis_um / 1000.0
    papillary = min(papillary_um / 1000.0, dermis)
    effective = needle_mm * efficiency
    return DepthReach(
        needle_mm=needle_mm,
        effective_mm=effective,
        efficiency=efficiency,
        layer=layer_at(effective, epidermis, papillary, dermis),
        layer_if_fully_inserted=layer_at(needle_mm, epidermis, papillary, dermis),
        epidermis_mm=epidermis,
        papillary_bottom_mm=epidermis + papillary,
        dermis_bottom_mm=epidermis + dermis,
    )


def zone_depth(
    zone: FacialZone,
    needle_mm: float,
    *,
    efficiency: float | None = None,
    papillary_um: float | None = None,
) -> DepthReach:
    """:func:`depth_reached` with the zone's typical skin and the sourced constants."""
    info = zone_anatomy()[zone]
    return depth_reached(
        needle_mm,
        epidermis_um=info.epidermis_um.value,
        dermis_um=info.dermis_um.value,
        efficiency=penetration_efficiency().value if efficiency is None else efficiency,
        papillary_um=papillary_dermis().value if papillary_um is None else papillary_um,
    )
