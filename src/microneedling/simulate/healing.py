"""The healing course after microneedling: inflammation -> proliferation -> remodelling.

A small ODE model in the spirit of Segal et al. 2012 (inflammation drives fibroblasts, which lay
down collagen), with the sessions of a series as injury impulses:

    dI/dt  = -Vmax I / (K + I)            erythema (inflammation), saturable clearance
    dF/dt  = I - dF F                     fibroblast activity
    dC3/dt = b F - m C3                   collagen III, laid down first, matures into type I
    dC1/dt = m C3 - dC C1                 collagen I, remodelled slowly
    dE/dt  = g F - dE E                   elastin (tropoelastin)

A session adds ``gain * dose`` to I, where the dose is the injured area fraction times the
effective needle depth in mm. Collagen and elastin are % change from baseline; erythema is in units
of the clinically visible threshold (1 = just visible).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict
from scipy.integrate import solve_ivp

from microneedling.core.data import read_data
from microneedling.core.errors import ValidationError

MODEL_VERSION = "healing-1"
Array = NDArray[np.float64]


class HealingParameters(BaseModel):
    """Rate constants (per day) and gains; see ``healing.yaml`` for their sources."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dose_gain: float
    clearance_max: float
    clearance_half: float
    fibroblast_decay: float
    collagen_gain: float
    maturation_rate: float
    collagen_decay: float
    elastin_gain: float
    elastin_decay: float
    erythema_threshold: float
    visible_threshold_pct: float


@cache
def calibrated_parameters() -> HealingParameters:
    """The parameters fitted by ``python -m microneedling.simulate.calibration``."""
    return HealingParameters.model_validate(read_data("healing.yaml")["parameters"])


@dataclass(frozen=True)
class HealingCourse:
    days: Array
    erythema: Array
    collagen_iii_pct: Array
    collagen_i_pct: Array
    elastin_pct: Array
    session_days: tuple[float, ...]

    @property
    def collagen_pct(self) -> Array:
        return self.collagen_iii_pct + self.collagen_i_pct

    def at(self, day: float) -> dict[str, float]:
        """Every curve interpolated at ``day``."""
        return {
            name: float(np.interp(day, self.days, values))
            for name, values in (
                ("erythema", self.erythema),
                ("collagen_pct", self.collagen_pct),
                ("collagen_iii_pct", self.collagen_iii_pct),
                ("collagen_i_pct", self.collagen_i_pct),
                ("elastin_pct", self.elastin_pct),
            )
        }


def _rhs(p: HealingParameters) -> Callable[[float, Array], Array]:
    def rhs(_t: float, y: Array) -> Array:
        inflammation, fibro, c3, c1, elastin = y
        inflammation = max(inflammation, 0.0)
        return np.array(
            [
                -p.clearance_max * inflammation / (p.clearance_half + inflammation),
                inflammation - p.fibroblast_decay * fibro,
                p.collagen_gain * fibro - p.maturation_rate * c3,
                p.maturation_rate * c3 - p.collagen_decay * c1,
                p.elastin_gain * fibro - p.elastin_decay * elastin,
            ]
        )

    return rhs


def healing_course(
    session_days: Sequence[float],
    doses: Sequence[float],
    params: HealingParameters | None = None,
    *,
    until_day: float | None = None,
    samples_per_day: int = 12,
) -> HealingCourse:
    """Integrate the model over a series; each session adds its dose to the inflammation."""
    p = params or calibrated_parameters()
    if len(session_days) != len(doses) or not session_days:
        raise ValidationError("sessions", "give one dose for each session, at least one session")
    if any(b < a for a, b in pairwise(session_days)):
        raise ValidationError("sessions", "session days must be in order")
    if any(d < 0 for d in doses):
        raise ValidationError("dose", "doses cannot be negative")
    end = until_day if until_day is not None else session_days[-1] + 180.0
    if end <= session_days[0]:
        raise ValidationError("until_day", "must be after the first session")
    rhs = _rhs(p)
    state = np.zeros(5)
    times: list[Array] = []
    values: list[Array] = []
    bounds = [*session_days, end]
    for i, start in enumerate(session_days):
        state[0] += p.dose_gain * doses[i]
        stop = bounds[i + 1]
        if stop <= start:
            continue
        n = max(int((stop - start) * samples_per_day), 2)
        grid = np.linspace(start, stop, n + 1)
        solution = solve_ivp(
            rhs,
            (start, stop),
            state,
            t_eval=grid,
            method="LSODA",
            rtol=1e-6,
            atol=1e-9,
        )
        times.append(solution.t[:-1])
        values.append(solution.y[:, :-1])
        state = solution.y[:, -1].copy()
    times.append(np.array([end]))
    values.append(state[:, None])
    t = np.concatenate(times)
    y = np.concatenate(values, axis=1)
    erythema = np.clip(y[0], 0.0, None)
    return HealingCourse(t, erythema, y[2], y[3], y[4], tuple(float(d) for d in session_days))


def erythema_settling_days(initial: float, params: HealingParameters | None = None) -> float:
    """Days for erythema to fall from ``initial`` to the visible threshold (exact solution):
    t = [K ln(I0 / theta) + (I0 - theta)] / Vmax."""
    p = params or calibrated_parameters()
    theta = p.erythema_threshold
    if initial <= theta:
        return 0.0
    return float((p.clearance_half * np.log(initial / theta) + (initial - theta)) / p.clearance_max)


def settled_day(course: HealingCourse, threshold: float) -> float | None:
    """Day, counted from the last session, when erythema falls below ``threshold``."""
    last = course.session_days[-1]
    after = course.days >= last
    below = np.nonzero(after & (course.erythema < threshold))[0]
    if below.size == 0:
        return None
    i = int(below[0])
    if i == 0 or course.days[i - 1] < last:
        return float(course.days[i] - last)
    t0, t1 = course.days[i - 1], course.days[i]
    e0, e1 = course.erythema[i - 1], course.erythema[i]
    crossing = t0 + (e0 - threshold) / (e0 - e1) * (t1 - t0)
    return float(crossing - last)


def visible_day(course: HealingCourse, threshold_pct: float) -> float | None:
    """First day (from the first session) when collagen change reaches ``threshold_pct``."""
    above = np.nonzero(course.collagen_pct >= threshold_pct)[0]
    return None if above.size == 0 else float(course.days[above[0]] - course.session_days[0])


def injury_dose(injured_fraction: float, effective_depth_mm: float) -> float:
    """Injured area fraction x effective depth (mm): the injured volume per unit area."""
    return injured_fraction * effective_depth_mm
