"""Read the bundled data files (``microneedling/data/*.yaml``) and their bibliography."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from microneedling.core.errors import ValidationError


def read_data(name: str) -> Any:
    """Parse one bundled YAML data file."""
    text = resources.files("microneedling.data").joinpath(name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


@cache
def sources() -> dict[str, str]:
    """The bibliography: key -> full reference. Every number in the data files cites a key."""
    return dict(read_data("sources.yaml"))


def first_error(
    exc: PydanticValidationError, prefix: str = "", default: str = "data"
) -> ValidationError:
    """The first pydantic error as our ValidationError, with a dotted field path
    (``default`` names the field when the error is about the whole document)."""
    first = exc.errors()[0]
    where = ""
    for part in first["loc"]:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    return ValidationError(f"{prefix}{where}" or default, first["msg"])


def check_sources(model: BaseModel, cited: set[str]) -> None:
    """Fail loudly when a data file cites a source key that the bibliography lacks."""
    unknown = sorted(cited - set(sources()))
    if unknown:
        raise ValueError(f"{type(model).__name__}: unknown source keys {unknown}")
