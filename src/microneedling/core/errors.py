"""One error type per kind of bad input; every surface maps them to one clear message.

The CLI turns each into exit code 2, the API into a 4xx response, both with ``str(error)``.
"""

from __future__ import annotations


class MicroneedlingError(Exception):
    """Base of every error a user can cause and fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ValidationError(MicroneedlingError):
    """A value is malformed or out of range; names the field and the reason."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class NotFoundError(MicroneedlingError):
    """A record that was asked for does not exist."""

    def __init__(self, entity: str, key: object) -> None:
        super().__init__(f"{entity} {key!s} not found")
        self.entity = entity
        self.key = key


class ContraindicatedError(MicroneedlingError):
    """Treatment is blocked by the patient's screening."""


class PhaseOrderError(MicroneedlingError):
    """A procedure phase was recorded out of order or skipped."""


class DatabaseError(MicroneedlingError):
    """The database is unreachable, locked, or not migrated."""
