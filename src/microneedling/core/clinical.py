"""Clinical vocabularies stored in records: skin types, indications, phases, rater roles."""

from __future__ import annotations

from enum import StrEnum


class FitzpatrickType(StrEnum):
    """Fitzpatrick skin phototype I–VI (Fitzpatrick 1988, Arch Dermatol 124:869)."""

    I = "I"  # noqa: E741
    II = "II"
    III = "III"
    IV = "IV"
    V = "V"
    VI = "VI"


class Indication(StrEnum):
    """What a microneedling series is meant to improve."""

    ACNE_SCARS = "acne_scars"
    FINE_LINES = "fine_lines"
    PHOTOAGEING = "photoageing"
    ENLARGED_PORES = "enlarged_pores"
    TEXTURE = "texture"
    SURGICAL_SCARS = "surgical_scars"


class Phase(StrEnum):
    """States of a treatment session, in the only order they may be recorded."""

    SCHEDULED = "scheduled"
    PREPARATION = "preparation"
    TREATMENT = "treatment"
    POST_TREATMENT = "post_treatment"
    COMPLETED = "completed"


PHASE_ORDER: tuple[Phase, ...] = tuple(Phase)


class RaterRole(StrEnum):
    """Who gave a score; scales such as GAIS have investigator and subject versions."""

    INVESTIGATOR = "investigator"
    SUBJECT = "subject"
    BLINDED_RATER = "blinded_rater"


class ScreeningOutcome(StrEnum):
    """Result of a contraindication screening."""

    CLEAR = "clear"
    RELATIVE = "relative"
    ABSOLUTE = "absolute"


class ContraindicationKind(StrEnum):
    ABSOLUTE = "absolute"
    RELATIVE = "relative"


class DeviceKind(StrEnum):
    PEN = "pen"
    ROLLER = "roller"
    STAMP = "stamp"


class Pattern(StrEnum):
    """How the device is moved across a zone."""

    HORIZONTAL = "horizontal"
    VERTICAL = "vertical"
    DIAGONAL = "diagonal"
    CROSSHATCH = "crosshatch"
    CIRCULAR = "circular"


class ClinicalEndpoint(StrEnum):
    """Visible endpoint the clinician treats to."""

    UNIFORM_ERYTHEMA = "uniform_erythema"
    PINPOINT_BLEEDING = "pinpoint_bleeding"
    SLIGHT_OEDEMA = "slight_oedema"
    NONE_REACHED = "none_reached"


class AdverseEventSeverity(StrEnum):
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"
