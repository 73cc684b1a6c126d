"""The words people read: display names for internal keys, kept as data (``vocabulary.yaml``).

Code, the database and ``--json`` output keep the keys (``cheek_left``, ``roughness_l``,
``drpen_chart``); every table, page and report a person reads shows :func:`display` of them, so a
name is changed in one place and the same thing has the same name everywhere.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from microneedling.core.data import read_data

KINDS = (
    "zone",
    "zone_short",
    "metric",
    "verdict",
    "indication",
    "pattern",
    "endpoint",
    "phase",
    "layer",
    "view",
    "answer",
    "source",
)
"""Every kind of key the vocabulary names."""


@cache
def vocabulary() -> dict[str, dict[str, Any]]:
    """The bundled vocabulary: kind -> key -> display name (a metric: ``{name, unit}``)."""
    data: dict[str, dict[str, Any]] = read_data("vocabulary.yaml")
    unknown = sorted(set(data) - set(KINDS))
    if unknown:
        raise ValueError(f"vocabulary.yaml: unknown kinds {unknown}")
    return data


def _entries(kind: str) -> dict[str, Any]:
    if kind not in KINDS:
        raise ValueError(f"unknown vocabulary kind {kind!r}; known: {', '.join(KINDS)}")
    return vocabulary().get(kind, {})


def _key(key: object) -> str:
    if isinstance(key, bool):
        return "true" if key else "false"
    return str(getattr(key, "value", key))


def has_name(kind: str, key: object) -> bool:
    """Whether the vocabulary names ``key`` of ``kind``."""
    return _key(key) in _entries(kind)


def fallback(key: object) -> str:
    """A readable stand-in for a key the vocabulary lacks (old stored data): underscores as
    spaces. Tests keep every bundled key named, so this shows only for data from elsewhere."""
    return _key(key).replace("_", " ")


def display(kind: str, key: object) -> str:
    """The name a person reads for ``key`` of ``kind`` (``display("zone", "cheek_left")`` is
    "Left cheek"); an enum member or a bool may be passed for its key. A metric's name comes
    without its unit (see :func:`metric_label`)."""
    entry = _entries(kind).get(_key(key))
    if entry is None:
        return fallback(key)
    return str(entry["name"]) if isinstance(entry, dict) else str(entry)


def unit(metric: str) -> str:
    """A metric's unit ("" when it has none, as a count or CIELAB a*)."""
    entry = _entries("metric").get(metric)
    return str(entry["unit"]) if isinstance(entry, dict) else ""


def metric_label(metric: str) -> str:
    """A metric's name with its unit, e.g. "Pores (per cm²)"."""
    name, its_unit = display("metric", metric), unit(metric)
    return f"{name} ({its_unit})" if its_unit else name


_IN_TEXT_KINDS = ("source", "indication", "zone", "layer", "endpoint", "pattern")


@cache
def _key_pattern() -> tuple[re.Pattern[str], dict[str, str]]:
    names: dict[str, str] = {}
    for kind in _IN_TEXT_KINDS:
        for key in _entries(kind):
            # plain words ("nose", "chin") read well as they are; only coined keys are replaced
            if ("_" in key or any(c.isdigit() for c in key)) and key not in names:
                names[key] = display(kind, key)
    alternatives = "|".join(re.escape(k) for k in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])"), names


def in_words(text: str) -> str:
    """``text`` (a plan's stored rationale, a warning) with every coined key in it, such as
    ``drpen_chart``, ``acne_scars`` or ``cheek_left``, replaced by its display name."""
    pattern, names = _key_pattern()
    return pattern.sub(lambda m: names[m.group()], text)
