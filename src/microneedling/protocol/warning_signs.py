"""Warning signs after microneedling and the late-redness rule (``data/warning_signs.yaml``)."""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticValidationError

from microneedling.core.data import check_sources, first_error, read_data
from microneedling.core.errors import ValidationError


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class WarningSign(_Frozen):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    label: str
    why: str
    source: str


class LateRedness(_Frozen):
    level: int = Field(ge=1, le=10)
    source: str
    note: str = ""


class RednessBeyond(_Frozen):
    days: int = Field(ge=1, le=60)
    source: str


class WarningSigns(_Frozen):
    late_redness: LateRedness
    signs: tuple[WarningSign, ...] = Field(min_length=1)
    redness_beyond_days: RednessBeyond

    @model_validator(mode="after")
    def _checked(self) -> WarningSigns:
        codes = [s.code for s in self.signs]
        if len(codes) != len(set(codes)):
            raise ValueError("warning sign codes repeat")
        cited = {s.source for s in self.signs}
        cited |= {self.late_redness.source, self.redness_beyond_days.source}
        check_sources(self, cited)
        return self

    def sign(self, code: str) -> WarningSign:
        for sign in self.signs:
            if sign.code == code:
                return sign
        known = ", ".join(s.code for s in self.signs)
        raise ValidationError("signs", f"unknown warning sign {code!r}; known: {known}")


@cache
def warning_signs() -> WarningSigns:
    try:
        return WarningSigns.model_validate(read_data("warning_signs.yaml"))
    except PydanticValidationError as exc:
        raise first_error(exc, "warning_signs.") from None
