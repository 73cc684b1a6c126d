"""The simulation constants of ``simulation.yaml``, each with its cited source."""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, ConfigDict

from microneedling.core.data import check_sources, read_data


class Constant(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    value: float
    source: str
    note: str = ""


@cache
def constants() -> dict[str, Constant]:
    """Name -> sourced value; every source key must exist in the bibliography."""
    table = {k: Constant.model_validate(v) for k, v in read_data("simulation.yaml").items()}
    for name, item in table.items():
        check_sources(item, {item.source})
        del name
    return table


def constant(name: str) -> float:
    return constants()[name].value
