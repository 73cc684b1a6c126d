"""Facial zones: the one vocabulary shared by protocol, records and analysis."""

from __future__ import annotations

from enum import StrEnum

from microneedling.core.errors import ValidationError


class FacialZone(StrEnum):
    """A treatment zone of the face and neck."""

    FOREHEAD = "forehead"
    GLABELLA = "glabella"
    PERIORBITAL_LEFT = "periorbital_left"
    PERIORBITAL_RIGHT = "periorbital_right"
    NOSE = "nose"
    CHEEK_LEFT = "cheek_left"
    CHEEK_RIGHT = "cheek_right"
    PERIORAL = "perioral"
    CHIN = "chin"
    JAWLINE = "jawline"
    NECK = "neck"

    @property
    def label(self) -> str:
        """Human-readable name, e.g. ``cheek (left)``."""
        base, _, side = self.value.partition("_")
        return f"{base} ({side})" if side else base


def parse_zone(value: str, field: str = "zone") -> FacialZone:
    """Parse a zone name, accepting ``cheek-left``, ``Cheek_Left`` and ``cheek left``."""
    key = value.strip().lower().replace("-", "_").replace(" ", "_")
    try:
        return FacialZone(key)
    except ValueError:
        known = ", ".join(z.value for z in FacialZone)
        raise ValidationError(field, f"unknown zone {value!r}; known zones: {known}") from None
