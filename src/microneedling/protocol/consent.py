"""Versioned consent texts (``data/consent.yaml``): load, validate, pick the version in effect on a
date, and hash the exact text a patient is shown.

The text shown is :func:`consent_text` of a version: its title, effective date, sections and
statements as plain text. The web page shows that very string and the CLI prints it, so the
stored ``text_sha256`` (:func:`text_sha256`) is the hash of what the patient read.
"""

from __future__ import annotations

import hashlib
import os
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticValidationError

from microneedling.core.data import check_sources, first_error, load_user_file, read_data
from microneedling.core.errors import ValidationError

CONSENT_FILE_ENV = "MICRONEEDLING_CONSENT_FILE"
ConsentKind = Literal["treatment", "research_photos"]
KINDS: tuple[ConsentKind, ...] = ("treatment", "research_photos")
KIND_LABELS = {"treatment": "treatment", "research_photos": "research use of photos"}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Section(_Frozen):
    heading: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=5000)
    sources: tuple[str, ...] = Field(min_length=1)


class Statement(_Frozen):
    """One sentence the patient ticks; ``required`` ones must all be ticked."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    text: str = Field(min_length=1, max_length=500)
    required: bool = True


class ConsentVersion(_Frozen):
    version: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$")
    effective: date
    title: str = Field(min_length=1, max_length=200)
    sections: tuple[Section, ...] = Field(min_length=1)
    statements: tuple[Statement, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_statements(self) -> ConsentVersion:
        ids = [s.id for s in self.statements]
        if len(ids) != len(set(ids)):
            raise ValueError(f"version {self.version}: statement ids repeat")
        return self


class ConsentTexts(_Frozen):
    """Every version of each kind, in effective-date order."""

    treatment: tuple[ConsentVersion, ...] = Field(min_length=1)
    research_photos: tuple[ConsentVersion, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> ConsentTexts:
        for kind in KINDS:
            versions = self.versions(kind)
            names = [v.version for v in versions]
            if len(names) != len(set(names)):
                raise ValueError(f"{kind}: version names repeat")
            dates = [v.effective for v in versions]
            if any(a >= b for a, b in pairwise(dates)):
                raise ValueError(
                    f"{kind}: effective dates must increase from one version to the next"
                )
        cited = {
            s for kind in KINDS for v in self.versions(kind) for x in v.sections for s in x.sources
        }
        check_sources(self, cited)
        return self

    def versions(self, kind: ConsentKind) -> tuple[ConsentVersion, ...]:
        result: tuple[ConsentVersion, ...] = getattr(self, kind)
        return result


def parse_kind(value: str, field: str = "kind") -> ConsentKind:
    for kind in KINDS:
        if value == kind:
            return kind
    raise ValidationError(field, f"unknown consent kind {value!r}; known: {', '.join(KINDS)}")


def _raw_texts() -> Any:
    override = os.environ.get(CONSENT_FILE_ENV)
    if not override:
        return read_data("consent.yaml")
    return load_user_file(Path(override), f"{CONSENT_FILE_ENV} ({override})")


def consent_texts() -> ConsentTexts:
    """The bundled consent texts, or the clinic's own file named by ``MICRONEEDLING_CONSENT_FILE``.

    Read on each call (a small file): a clinic that adds a version sees it take effect on its date
    without a restart.
    """
    try:
        return ConsentTexts.model_validate(_raw_texts())
    except PydanticValidationError as exc:
        raise first_error(exc, "consent.") from None


def current_version(
    kind: ConsentKind, on: date, texts: ConsentTexts | None = None
) -> ConsentVersion:
    """The version in effect on ``on``: the latest whose effective date is not after it."""
    versions = (texts or consent_texts()).versions(kind)
    in_effect = [v for v in versions if v.effective <= on]
    if not in_effect:
        first = versions[0].effective
        raise ValidationError(
            "consent", f"no {KIND_LABELS[kind]} consent text is in effect before {first}"
        )
    return in_effect[-1]


def find_version(
    kind: ConsentKind, version: str, texts: ConsentTexts | None = None
) -> ConsentVersion:
    for candidate in (texts or consent_texts()).versions(kind):
        if candidate.version == version:
            return candidate
    raise ValidationError(
        "text_version", f"no {KIND_LABELS[kind]} consent text of version {version!r}"
    )


def consent_text(version: ConsentVersion) -> str:
    """The exact plain text shown to the patient (sources are listed apart, not in the text)."""
    lines = [
        version.title,
        f"Version {version.version}, in effect from {version.effective.isoformat()}",
        "",
    ]
    for section in version.sections:
        lines += [section.heading, section.text, ""]
    lines.append("By signing I confirm:")
    lines += [f"[ ] {s.text}" for s in version.statements]
    return "\n".join(lines)


def text_sha256(version: ConsentVersion) -> str:
    """SHA-256 (hex) of :func:`consent_text` in UTF-8."""
    return hashlib.sha256(consent_text(version).encode("utf-8")).hexdigest()
