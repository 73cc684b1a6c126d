"""Device specifications for simulation: pens, rollers and stamps, and their needle layouts.

The bundled catalogue is ``devices.yaml``; a clinic adds its own devices from a YAML or JSON file
with the same keys.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticValidationError

from microneedling.core.data import first_error, load_user_file, read_data, sources
from microneedling.core.errors import NotFoundError, ValidationError

GOLDEN_ANGLE = np.pi * (3.0 - np.sqrt(5.0))


class Range(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)

    min: Annotated[float, Field(gt=0)]
    max: Annotated[float, Field(gt=0)]

    @model_validator(mode="after")
    def _ordered(self) -> Range:
        if self.min > self.max:
            raise ValueError(f"min {self.min} is larger than max {self.max}")
        return self


class _Device(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)

    model: Annotated[str, Field(min_length=1)]
    needles: Annotated[int, Field(ge=1, le=1000)]
    needle_diameter_mm: Annotated[float, Field(gt=0, le=1.0)] = 0.25
    source: str = "estimate"
    note: str = ""


class PenSpec(_Device):
    """A motorised pen: a cartridge of needles stamped at ``frequency_hz``."""

    kind: Literal["pen"] = "pen"
    frequency_hz: Range
    depth_mm: Range
    footprint_mm: Annotated[float, Field(gt=0, le=30)]

    def needle_offsets(self) -> NDArray[np.float64]:
        """Needle positions relative to the cartridge centre: a sunflower over the footprint."""
        k = np.arange(self.needles) + 0.5
        radius = 0.5 * self.footprint_mm * np.sqrt(k / self.needles)
        angle = k * GOLDEN_ANGLE
        return np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])

    @property
    def swath_mm(self) -> float:
        return self.footprint_mm


class RollerSpec(_Device):
    """A drum roller: ``rows`` rings of needles around a drum."""

    kind: Literal["roller"] = "roller"
    rows: Annotated[int, Field(ge=1)]
    drum_diameter_mm: Annotated[float, Field(gt=0, le=100)]
    drum_width_mm: Annotated[float, Field(gt=0, le=100)]
    needle_length_mm: Annotated[float, Field(gt=0, le=3.0)]

    @model_validator(mode="after")
    def _rows_divide(self) -> RollerSpec:
        if self.needles % self.rows:
            raise ValueError(f"{self.needles} needles do not divide into {self.rows} rows")
        return self

    @property
    def depth_mm(self) -> Range:
        return Range(min=self.needle_length_mm, max=self.needle_length_mm)

    @property
    def swath_mm(self) -> float:
        return self.drum_width_mm


class StampSpec(_Device):
    """A stamp: a fixed grid of needles pressed straight down."""

    kind: Literal["stamp"] = "stamp"
    grid: Annotated[tuple[int, int], Field(strict=False)]  # a YAML list of two whole numbers
    pitch_mm: Annotated[float, Field(gt=0, le=10)]
    depth_mm: Range

    @model_validator(mode="after")
    def _grid_matches(self) -> StampSpec:
        if self.grid[0] * self.grid[1] != self.needles:
            raise ValueError(f"grid {self.grid} does not hold {self.needles} needles")
        return self

    def needle_offsets(self) -> NDArray[np.float64]:
        rows, cols = self.grid
        gx, gy = np.meshgrid(np.arange(cols), np.arange(rows))
        offsets = np.column_stack([gx.ravel(), gy.ravel()]).astype(np.float64) * self.pitch_mm
        centred: NDArray[np.float64] = offsets - offsets.mean(axis=0, keepdims=True)
        return centred

    @property
    def swath_mm(self) -> float:
        return max(self.grid) * self.pitch_mm


DeviceSpec = PenSpec | RollerSpec | StampSpec


class Catalogue(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, allow_inf_nan=False)

    pens: list[PenSpec] = Field(default_factory=list)
    rollers: list[RollerSpec] = Field(default_factory=list)
    stamps: list[StampSpec] = Field(default_factory=list)

    def all(self) -> list[DeviceSpec]:
        return [*self.pens, *self.rollers, *self.stamps]


def _parse(raw: object, field: str) -> list[DeviceSpec]:
    if not isinstance(raw, dict):
        raise ValidationError(field, "expected a mapping with pens, rollers and/or stamps")
    try:
        devices = Catalogue.model_validate(raw).all()
    except PydanticValidationError as exc:
        raise first_error(exc, f"{field}: ") from None
    known = sources()
    for device in devices:
        if device.source not in known:
            raise ValidationError(
                f"{field}: {device.model}.source", f"unknown source {device.source!r}"
            )
    return devices


@cache
def catalogue() -> tuple[DeviceSpec, ...]:
    """The bundled device catalogue."""
    return tuple(_parse(read_data("devices.yaml"), "devices.yaml"))


def load_devices_file(path: Path) -> list[DeviceSpec]:
    """Read custom devices from YAML or JSON (within ``load_user_file``'s bounds: size, no YAML
    aliases, nesting, no repeated keys); bad specs are refused naming the field."""
    return _parse(load_user_file(path, str(path)), str(path))


def find_device(model: str, extra: list[DeviceSpec] | None = None) -> DeviceSpec:
    """A device by model name (case-insensitive), custom devices first."""
    for device in [*(extra or []), *catalogue()]:
        if device.model.lower() == model.strip().lower():
            return device
    known = ", ".join(d.model for d in [*(extra or []), *catalogue()])
    raise NotFoundError("simulation device", f"{model!r} (known: {known})")
