"""Typical skin thickness and the needle-depth limit of each facial zone (``zones.yaml``)."""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, ConfigDict

from microneedling.core.data import read_data
from microneedling.core.zones import FacialZone


class SourcedValue(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    value: float
    source: str
    note: str = ""


class ZoneInfo(BaseModel):
    """A zone's epidermis and dermis thickness (um) and its deepest allowed needle setting."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    epidermis_um: SourcedValue
    dermis_um: SourcedValue
    max_depth_mm: SourcedValue


@cache
def zone_anatomy() -> dict[FacialZone, ZoneInfo]:
    raw = read_data("zones.yaml")["zones"]
    return {FacialZone(k): ZoneInfo.model_validate(v) for k, v in raw.items()}
