"""Placeholder: the jobs tables (filled by the issue that needs them)."""

from __future__ import annotations
