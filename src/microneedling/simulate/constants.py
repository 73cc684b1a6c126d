"""The simulation constants of ``simulation.yaml``, each with its cited source."""

from __future__ import annotations

from functools import cache

from pydantic import BaseModel, ConfigDict, model_validator

from microneedling.core.data import check_sources, read_data


class Constant(BaseModel):
    """A sourced value, with the range ``low``-``high`` it may take where one is known."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: float
    source: str
    note: str = ""
    low: float | None = None
    high: float | None = None

    @model_validator(mode="after")
    def _inside_range(self) -> Constant:
        if (self.low is None) != (self.high is None):
            raise ValueError("give both low and high, or neither")
        if (
            self.low is not None
            and self.high is not None
            and not self.low <= self.value <= self.high
        ):
            raise ValueError(f"{self.value} is outside its range {self.low}-{self.high}")
        return self

    @property
    def range(self) -> tuple[float, float]:
        """``(low, high)``, or the value twice where no range is given."""
        if self.low is None or self.high is None:
            return (self.value, self.value)
        return (self.low, self.high)


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
