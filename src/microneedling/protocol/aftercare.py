"""The patient's aftercare sheet, in plain language, from ``aftercare.yaml``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from microneedling import DISCLAIMER
from microneedling.protocol.knowledge import Knowledge


@dataclass(frozen=True)
class AftercareSheet:
    patient_code: str
    session_date: date
    next_session: date | None
    timeline: tuple[tuple[str, str], ...]
    avoid: tuple[str, ...]
    apply: tuple[str, ...]
    warnings: tuple[str, ...]
    disclaimer: str = field(default=DISCLAIMER)

    def as_text(self) -> str:
        """Render the sheet as plain text for printing or e-mail."""
        lines = [
            f"Aftercare after your microneedling session on {self.session_date:%d %B %Y}",
            f"Patient: {self.patient_code}",
            "",
            "What to expect",
            *(f"  - {when}: {text}" for when, text in self.timeline),
            "",
            "Please avoid",
            *(f"  - {item}" for item in self.avoid),
            "",
            "What to put on your skin",
            *(f"  - {item}" for item in self.apply),
            "",
            "Important",
            *(f"  - {item}" for item in self.warnings),
        ]
        if self.next_session:
            lines += ["", f"Your next session is planned for {self.next_session:%d %B %Y}."]
        lines += ["", self.disclaimer]
        return "\n".join(lines)


def _duration(hours: float) -> str:
    if hours < 24:
        return f"{hours:g} hours"
    return f"{hours / 24:g} days"


def aftercare_sheet(
    knowledge: Knowledge, *, patient_code: str, session_date: date, next_session: date | None
) -> AftercareSheet:
    care = knowledge.aftercare
    return AftercareSheet(
        patient_code=patient_code,
        session_date=session_date,
        next_session=next_session,
        timeline=tuple((item.at, item.text) for item in care.timeline),
        avoid=tuple(f"{item.what} for {_duration(item.hours)}" for item in care.avoid),
        apply=tuple(item.text for item in care.apply),
        warnings=tuple(item.text for item in care.warnings),
    )
