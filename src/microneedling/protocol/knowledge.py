"""Load and validate the clinical data files under ``microneedling/data`` once.

Every number in those files cites a key of ``sources.yaml``; loading fails loudly when one does not.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticValidationError

from microneedling.core.anatomy import ZoneInfo, zone_anatomy
from microneedling.core.clinical import ContraindicationKind, Indication
from microneedling.core.data import first_error, load_user_file, read_data, sources
from microneedling.core.errors import ValidationError
from microneedling.core.zones import FacialZone

POLICY_ENV = "MICRONEEDLING_POLICY_FILE"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DepthTable(_Frozen):
    source: str
    note: str = ""
    zones: dict[FacialZone, tuple[float, float]]

    @model_validator(mode="after")
    def _ordered(self) -> DepthTable:
        for zone, (low, high) in self.zones.items():
            if not 0 < low <= high:
                raise ValueError(f"{zone}: range [{low}, {high}] is not 0 < min <= max")
        return self


class Bounded(_Frozen):
    default: int
    min: int
    max: int
    source: str
    note: str = ""

    @model_validator(mode="after")
    def _ordered(self) -> Bounded:
        if not self.min <= self.default <= self.max:
            raise ValueError(f"default {self.default} outside [{self.min}, {self.max}]")
        return self


class MonthRange(_Frozen):
    min: int
    max: int
    source: str


class Schedule(_Frozen):
    sessions: Bounded
    interval_days: Bounded
    maintenance_months: MonthRange


class Contraindication(_Frozen):
    code: str
    question: str
    kind: Literal["absolute", "relative", "policy"]
    reason: str
    source: str


class Anaesthetic(_Frozen):
    code: str
    name: str
    dwell_min: float
    dwell_max: float
    source: str
    note: str = ""


class TimelineItem(_Frozen):
    at: str
    text: str
    source: str


class AvoidItem(_Frozen):
    what: str
    hours: float
    source: str


class TextItem(_Frozen):
    text: str
    source: str


class Aftercare(_Frozen):
    timeline: tuple[TimelineItem, ...]
    avoid: tuple[AvoidItem, ...]
    apply: tuple[TextItem, ...]
    warnings: tuple[TextItem, ...]


class Scale(_Frozen):
    name: str
    version: str
    min: float
    max: float
    integer: bool
    higher_is_worse: bool
    planning: bool
    indications: tuple[Indication, ...]
    counts: tuple[str, ...] = ()
    source: str

    def severity(self, score: float) -> float:
        """Map a score onto 0 (mildest) .. 1 (most severe)."""
        fraction = (score - self.min) / (self.max - self.min)
        return fraction if self.higher_is_worse else 1.0 - fraction


class Policy(_Frozen):
    isotretinoin_washout_months: int = Field(ge=3, le=24)
    pregnancy_kind: ContraindicationKind
    screening_valid_days: int = Field(ge=1, le=365)


class Knowledge(_Frozen):
    """All clinical data, validated and cross-checked."""

    sources: dict[str, str]
    zones: dict[FacialZone, ZoneInfo]
    depths: dict[Indication, DepthTable]
    schedules: dict[Indication, Schedule]
    contraindications: tuple[Contraindication, ...]
    anaesthetics: tuple[Anaesthetic, ...]
    aftercare: Aftercare
    scales: dict[str, Scale]
    policy: Policy

    @model_validator(mode="after")
    def _complete(self) -> Knowledge:
        missing_zones = set(FacialZone) - set(self.zones)
        if missing_zones:
            raise ValueError(f"zones.yaml lacks {sorted(missing_zones)}")
        for indication in Indication:
            if indication not in self.depths or indication not in self.schedules:
                raise ValueError(f"depths.yaml or schedules.yaml lacks {indication}")
            table = self.depths[indication]
            for zone in FacialZone:
                if zone not in table.zones:
                    raise ValueError(f"depths.yaml: {indication} lacks zone {zone}")
                limit = self.zones[zone].max_depth_mm.value
                if table.zones[zone][1] > limit:
                    raise ValueError(f"depths.yaml: {indication}/{zone} exceeds zone limit {limit}")
        for source in self.cited_sources():
            if source not in self.sources:
                raise ValueError(f"unknown source key {source!r}; add it to sources.yaml")
        codes = [c.code for c in self.contraindications]
        if len(codes) != len(set(codes)):
            raise ValueError("contraindications.yaml has duplicate codes")
        return self

    def cited_sources(self) -> set[str]:
        """Every source key the data files cite."""
        keys: set[str] = set()
        for zone in self.zones.values():
            keys |= {zone.epidermis_um.source, zone.dermis_um.source, zone.max_depth_mm.source}
        keys |= {t.source for t in self.depths.values()}
        for s in self.schedules.values():
            keys |= {s.sessions.source, s.interval_days.source, s.maintenance_months.source}
        keys |= {c.source for c in self.contraindications}
        keys |= {a.source for a in self.anaesthetics}
        care = self.aftercare
        keys |= {i.source for i in care.timeline} | {i.source for i in care.avoid}
        keys |= {i.source for i in (*care.apply, *care.warnings)}
        keys |= {s.source for s in self.scales.values()}
        return keys

    def scale(self, name: str, field: str = "scale") -> Scale:
        """Look a scale up by name, with a clear error listing the known ones."""
        try:
            return self.scales[name]
        except KeyError:
            known = ", ".join(sorted(self.scales))
            raise ValidationError(field, f"unknown scale {name!r}; known scales: {known}") from None

    def contraindication_kind(self, item: Contraindication) -> ContraindicationKind:
        """Resolve ``policy`` kinds through the clinic policy."""
        if item.kind == "policy":
            return self.policy.pregnancy_kind
        return ContraindicationKind(item.kind)

    def question(self, item: Contraindication) -> str:
        return item.question.format(**self.policy.model_dump())

    def anaesthetic(self, code: str) -> Anaesthetic | None:
        return next((a for a in self.anaesthetics if a.code == code), None)


def _read_policy() -> Any:
    """The bundled policy, or the clinic's file named by the environment (read within
    ``load_user_file``'s bounds)."""
    override = os.environ.get(POLICY_ENV)
    if not override:
        return read_data("policy.yaml")
    return load_user_file(Path(override), f"{POLICY_ENV} ({override})")


@cache
def load_knowledge() -> Knowledge:
    """Read every data file once and validate it as a whole."""
    try:
        return Knowledge(
            sources=sources(),
            zones=zone_anatomy(),
            depths=read_data("depths.yaml")["indications"],
            schedules=read_data("schedules.yaml")["indications"],
            contraindications=read_data("contraindications.yaml")["contraindications"],
            anaesthetics=read_data("anaesthetics.yaml")["products"],
            aftercare=read_data("aftercare.yaml"),
            scales=read_data("scales.yaml")["scales"],
            policy=_read_policy(),
        )
    except PydanticValidationError as exc:
        raise first_error(exc) from None
