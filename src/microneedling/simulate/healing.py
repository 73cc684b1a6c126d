"""The healing course after microneedling in three phases: inflammation, proliferation, remodelling.

Each session is an injury of ``dose`` (injured area fraction x effective depth in mm), counted in
reference sessions ``s = dose / reference_dose(1.0 mm)`` (a 16-needle pen, three passes, 1.0 mm).
One small function per phase, all vectorised over parameter samples (arrays of shape ``(n, 1)``)
and time (shape ``(T,)``), so that a whole Latin hypercube runs in one call:

1. Inflammation (:func:`erythema`): each session's redness starts at ``s exp(t_ref / tau)`` times
   the visible threshold and decays with e-folding time ``tau`` (days), so one session settles
   after ``t_ref + tau ln s`` days (:func:`settling_days`).
2. Proliferation (:func:`proliferation`): fibroblast activity, a gamma pulse (shape 2) that starts
   ``lag`` days after the session and peaks ``peak`` days later; its integral is the session's
   weight ``s (1 - exp(-interval / tau_r))`` (:func:`interval_weights`): a session given while the
   previous one's repair is still under way adds less, saturating as the interval grows.
3. Remodelling (:func:`remodel`): fibroblasts lay down collagen III, limited by the headroom
   ``1 - C / C_max`` (the response saturates over a series); type III matures into type I with
   time constant ``tau_m``; new type I is turned over at the rate of mature skin collagen
   (``tau_1``, a half-life of about 15 years [5]_)::

       dC3/dt = g P(t) (1 - (C3 + C1) / C_max) - C3 / tau_m
       dC1/dt = C3 / tau_m - C1 / tau_1

   Total elastin (:func:`elastin`) drops by ``loss x s`` at each session (fibres cut and
   degraded), gains tropoelastin in proportion to fibroblast activity and relaxes to baseline
   with ``tau_e``.

Collagen and elastin are % change from baseline; the collagen gain is calibrated to ultrasound
dermal *density* (Kenkel 2021), so the collagen curve is on that scale, not a histological
collagen content. Parameters, their ranges and sources are in ``data/healing.yaml``; the
calibration points and the validation points the fit never saw are listed there too.

References
----------
.. [1] Gurtner GC, Werner S, Barrandon Y, Longaker MT. Wound repair and regeneration. Nature.
   2008;453:314-321 (inflammation, new tissue formation 2-10 days, remodelling from 2-3 weeks
   for a year or more; collagen III replaced by collagen I).
.. [2] Segal RA, Diegelmann RF, Ward KR, Reynolds A. A differential equation model of collagen
   accumulation in a healing wound. Bull Math Biol. 2012;74:2165-2182.
.. [3] Kenkel JM, et al. Aesthet Surg J. 2021 (ultrasound dermal density +101.86% three months
   after four monthly sessions; total elastin unchanged). The facial needle depth is not
   published: the registration NCT03803059 and the cohort's neck paper (Alqam 2022) give "up
   to 2.5 mm" for the neck, its face paper (J Cosmet Dermatol 2023) only "per manufacturer
   instructions"; ``healing.yaml: literature_search`` lists what was checked.
.. [4] El-Domyati M, et al. J Clin Aesthet Dermatol. 2015; Int J Dermatol. 2015 (collagen I,
   III, VII up, total elastin down after six sessions two weeks apart).
.. [5] Verzijl N, et al. Effect of collagen turnover on the accumulation of advanced glycation
   end products. J Biol Chem. 2000;275:39027-39031 (human skin collagen half-life about 15
   years, from aspartic acid racemization; not checked against the paper, which the stored
   corpus lacks: ``verified: false`` in ``healing.yaml``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, model_validator

from microneedling.core.data import check_sources, read_data
from microneedling.core.errors import ValidationError
from microneedling.simulate import uncertainty
from microneedling.simulate.constants import constant
from microneedling.simulate.uncertainty import Band

MODEL_VERSION = "healing-3"
REDNESS_WINDOW_D = 120.0
"""Days after a session over which its redness is computed (e-folding times are 0.1-3 d)."""
Array = NDArray[np.float64]
ParamValues = Mapping[str, float | Array]


class ParameterSpec(BaseModel):
    """One model parameter: its value, the range the interval is drawn from, and its source."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: float
    low: float
    high: float
    unit: str
    source: str
    fitted: bool = False
    verified: bool = True
    """False when the figure could not be checked against its source (kept, and said so)."""
    note: str = ""

    @model_validator(mode="after")
    def _inside(self) -> ParameterSpec:
        if not self.low <= self.value <= self.high:
            raise ValueError(f"value {self.value:g} outside its range {self.low:g}–{self.high:g}")
        return self


class HealingParameters(BaseModel):
    """The model's parameters (see the module docstring and ``healing.yaml``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    erythema_settle_ref_d: float
    erythema_tau_d: float
    erythema_threshold: float
    proliferation_lag_d: float
    proliferation_peak_d: float
    refractory_tau_d: float
    collagen_gain_pct: float
    collagen_capacity_pct: float
    maturation_tau_d: float
    collagen_i_tau_d: float
    elastin_loss_pct: float
    elastin_gain_pct: float
    elastin_tau_d: float
    visible_threshold_pct: float


@cache
def parameter_specs() -> dict[str, ParameterSpec]:
    """Name -> value, range and source, from ``healing.yaml``; source keys are checked."""
    raw = read_data("healing.yaml")["parameters"]
    specs = {name: ParameterSpec.model_validate(item) for name, item in raw.items()}
    for spec in specs.values():
        cited = {k.strip() for k in spec.source.split(",")}
        check_sources(spec, cited)
    missing = set(HealingParameters.model_fields) - set(specs)
    if missing:
        raise ValueError(f"healing.yaml: parameters missing: {sorted(missing)}")
    return specs


@cache
def calibrated_parameters() -> HealingParameters:
    """The parameter values of ``healing.yaml`` (fitted ones by ``calibration --write``)."""
    return HealingParameters(**{k: s.value for k, s in parameter_specs().items()})


def parameter_ranges() -> dict[str, tuple[float, float]]:
    """Name -> (low, high) of every parameter with a non-empty range."""
    return {k: (s.low, s.high) for k, s in parameter_specs().items() if s.high > s.low}


@cache
def reference_injured_fraction() -> float:
    """Injured area fraction of the reference session (``healing.yaml: reference``)."""
    return float(read_data("healing.yaml")["reference"]["injured_fraction"])


def reference_dose(depth_mm: float) -> float:
    """Dose of a reference session at needle setting ``depth_mm`` (mm): injured fraction x
    effective depth, the effective depth being ``depth_mm`` x the penetration efficiency."""
    return injury_dose(reference_injured_fraction(), depth_mm * constant("penetration_efficiency"))


def injury_dose(injured_fraction: float, effective_depth_mm: float) -> float:
    """Injured area fraction x effective depth (mm): the injured volume per unit area (mm)."""
    return injured_fraction * effective_depth_mm


def session_stimulus(doses: Sequence[float] | Array) -> Array:
    """Doses (mm) in reference sessions (1 = the reference pen session at 1.0 mm)."""
    return np.asarray(doses, dtype=float) / reference_dose(1.0)


# --- phase 1: inflammation --------------------------------------------------------------------


def erythema(
    days: Array,
    session_days: Array,
    stimulus: Array,
    settle_ref_d: float | Array,
    tau_d: float | Array,
    threshold: float | Array = 1.0,
) -> Array:
    """Redness in units of the visible threshold, shape ``(n, T)``.

    Parameters
    ----------
    days : ndarray, shape (T,)
        Times (days).
    session_days, stimulus : ndarray, shape (S,)
        Session times (days) and their injury in reference sessions.
    settle_ref_d : float or ndarray (n, 1)
        Days for one reference session's redness to fall below the threshold.
    tau_d : float or ndarray (n, 1)
        E-folding time of redness (days).
    threshold : float or ndarray (n, 1)
        The visible threshold (the curve's unit).
    """
    tau = np.asarray(tau_d, dtype=float)
    total = np.zeros(np.broadcast_shapes(np.shape(tau), days.shape))
    log_peak = np.asarray(settle_ref_d, dtype=float) / tau
    for t0, s in zip(session_days, stimulus, strict=True):
        if s <= 0:
            continue
        # from the session to REDNESS_WINDOW_D days on; later terms are below exp(-40)
        start, stop = np.searchsorted(days, [t0, t0 + REDNESS_WINDOW_D])
        age = days[start:stop] - t0
        total[..., start:stop] += s * np.exp(log_peak - age / tau)
    scaled: Array = total * np.asarray(threshold, dtype=float)
    return scaled


def settling_days(
    session_days: Array, stimulus: Array, settle_ref_d: float | Array, tau_d: float | Array
) -> Array:
    """Days after the last session until redness falls below the visible threshold (exact):
    ``t_ref + tau ln(sum_i s_i exp(-(t_last - t_i) / tau))``, 0 when never visible."""
    tau = np.asarray(tau_d, dtype=float)
    last = session_days[-1]
    carried = np.zeros(np.shape(tau))
    for t0, s in zip(session_days, stimulus, strict=True):
        carried = carried + s * np.exp(-(last - t0) / tau)
    with np.errstate(divide="ignore"):
        days = np.asarray(settle_ref_d, dtype=float) + tau * np.log(carried)
    return np.where(carried > 0, np.maximum(days, 0.0), 0.0)


# --- phase 2: proliferation -------------------------------------------------------------------


def interval_weights(
    session_days: Array, stimulus: Array, refractory_tau_d: float | Array
) -> Array:
    """Each session's proliferative weight: ``s_i (1 - exp(-(t_i - t_{i-1}) / tau_r))``, the
    first session counting in full. Shape ``(n, S)``."""
    tau = np.asarray(refractory_tau_d, dtype=float)
    gaps = np.diff(session_days, prepend=-np.inf)
    factor = -np.expm1(-gaps / tau)
    return np.broadcast_to(stimulus * factor, np.broadcast_shapes(tau.shape, stimulus.shape))


def proliferation(
    days: Array,
    session_days: Array,
    weights: Array,
    lag_d: float | Array,
    peak_d: float | Array,
) -> Array:
    """Fibroblast activity (reference sessions per day), shape ``(n, T)``: for each session a
    gamma pulse ``w (u / peak^2) exp(-u / peak)``, ``u`` the days since onset (``lag`` after the
    session); each pulse integrates to its weight ``w`` and peaks ``peak`` days after onset."""
    lag = np.asarray(lag_d, dtype=float)
    peak = np.asarray(peak_d, dtype=float)
    weights = np.atleast_2d(weights)
    shape = np.broadcast_shapes(lag.shape, peak.shape, weights[:, :1].shape, days.shape)
    total = np.zeros(shape)
    for i, t0 in enumerate(session_days):
        u = np.maximum(days - t0 - lag, 0.0)
        total = total + weights[:, i : i + 1] * (u / peak**2) * np.exp(-u / peak)
    return total


# --- phase 3: remodelling ---------------------------------------------------------------------


def remodel(
    step_d: float,
    activity: Array,
    gain_pct: float | Array,
    capacity_pct: float | Array,
    maturation_tau_d: float | Array,
    collagen_i_tau_d: float | Array,
) -> tuple[Array, Array]:
    """Collagen III and I (% change from baseline) laid down by fibroblast ``activity``
    (``(n, T)`` on a grid of ``step_d`` days), limited by the remaining capacity.

    Exponential-Euler steps: each decay exact over a step, the source (the step's mean
    activity times the headroom at its start) held over it. The headroom makes the system
    nonlinear, so it is stepped; the collagen time constants (weeks to years) allow steps of a
    day.
    """
    n, steps = activity.shape
    gain = np.broadcast_to(np.asarray(gain_pct, dtype=float).reshape(-1), (n,))
    capacity = np.broadcast_to(np.asarray(capacity_pct, dtype=float).reshape(-1), (n,))
    tau_m = np.broadcast_to(np.asarray(maturation_tau_d, dtype=float).reshape(-1), (n,))
    tau_1 = np.broadcast_to(np.asarray(collagen_i_tau_d, dtype=float).reshape(-1), (n,))
    keep_3 = np.exp(-step_d / tau_m)
    fill_3 = gain * tau_m * (1.0 - keep_3)
    keep_1 = np.exp(-step_d / tau_1)
    fill_1 = tau_1 * (1.0 - keep_1) / tau_m
    inverse_capacity = 1.0 / capacity
    mean_activity = np.ascontiguousarray(0.5 * (activity[:, 1:] + activity[:, :-1]).T)
    c3 = np.zeros((steps, n))
    c1 = np.zeros((steps, n))
    x3 = np.zeros(n)
    x1 = np.zeros(n)
    for j in range(steps - 1):
        headroom = np.clip(1.0 - (x3 + x1) * inverse_capacity, 0.0, 1.0)
        x3, x1 = x3 * keep_3 + mean_activity[j] * headroom * fill_3, x1 * keep_1 + x3 * fill_1
        c3[j + 1] = x3
        c1[j + 1] = x1
    return c3.T, c1.T


def elastin(
    days: Array,
    session_days: Array,
    stimulus: Array,
    weights: Array,
    loss_pct: float | Array,
    gain_pct: float | Array,
    tau_d: float | Array,
    lag_d: float | Array,
    peak_d: float | Array,
) -> Array:
    """Total elastin (% change), shape ``(n, T)``: ``-loss x s`` at each session, tropoelastin
    ``gain x P(t)`` laid down with fibroblast activity, relaxing to baseline with ``tau``.

    Linear, so exact: each gamma pulse of :func:`proliferation` convolved with
    ``exp(-t / tau)`` is ``w [exp(-u / tau) - exp(-u / p) (1 + a u)] / (a p)^2`` with
    ``a = 1 / p - 1 / tau`` and ``u`` the days since the pulse's onset.
    """
    tau = np.asarray(tau_d, dtype=float)
    lag = np.asarray(lag_d, dtype=float)
    p = np.asarray(peak_d, dtype=float)
    loss = np.asarray(loss_pct, dtype=float)
    gain = np.asarray(gain_pct, dtype=float)
    weights = np.atleast_2d(weights)
    a = 1.0 / p - 1.0 / tau
    close = np.abs(a * p) < 1e-6
    safe_a = np.where(close, 1.0, a)
    n = np.broadcast_shapes(tau.shape, lag.shape, p.shape, weights[:, :1].shape)[0]
    total = np.zeros((n, days.size))
    any_close = bool(np.any(close))
    for i, (t0, s) in enumerate(zip(session_days, stimulus, strict=True)):
        after = int(np.searchsorted(days, t0))  # only the times from this session on
        age = days[after:] - t0
        relax = np.exp(-age / tau)
        u = np.maximum(age - lag, 0.0)
        pulse = np.exp(-u / p)
        deposited = (relax * np.exp(np.minimum(age, lag) / tau) - pulse * (1.0 + safe_a * u)) / (
            safe_a * p
        ) ** 2
        if any_close:
            deposited = np.where(close, pulse * u**2 / (2.0 * p**2), deposited)
        total[:, after:] += gain * weights[:, i : i + 1] * deposited - loss * s * relax
    return total


# --- the whole course -------------------------------------------------------------------------


def _check_series(session_days: Sequence[float], doses: Sequence[float]) -> None:
    if len(session_days) != len(doses) or not session_days:
        raise ValidationError("sessions", "give one dose for each session, at least one session")
    if any(b < a for a, b in pairwise(session_days)):
        raise ValidationError("sessions", "session days must be in order")
    if any(d < 0 for d in doses):
        raise ValidationError("dose", "doses cannot be negative")


def time_grid(session_days: Sequence[float], until_day: float, samples_per_day: int) -> Array:
    """Days from the first session to ``until_day`` in steps of ``1 / samples_per_day``."""
    if samples_per_day < 1:
        raise ValidationError("samples_per_day", "must be at least 1")
    start = float(session_days[0])
    if until_day <= start:
        raise ValidationError("until_day", "must be after the first session")
    steps = int(np.ceil((until_day - start) * samples_per_day))
    return start + np.arange(steps + 1) / samples_per_day


def healing_arrays(
    session_days: Sequence[float],
    doses: Sequence[float],
    params: ParamValues,
    *,
    until_day: float | None = None,
    samples_per_day: int = 4,
) -> dict[str, Array]:
    """Every curve for every parameter sample: ``days`` (T,), ``erythema``, ``collagen_iii_pct``,
    ``collagen_i_pct``, ``elastin_pct`` (n, T) and ``settled_day`` (n,).

    ``params`` maps each :class:`HealingParameters` field to a float or an ``(n, 1)`` array.
    Sessions are placed on the nearest grid point.
    """
    _check_series(session_days, doses)
    end = until_day if until_day is not None else session_days[-1] + 180.0
    days = time_grid(session_days, end, samples_per_day)
    step = 1.0 / samples_per_day
    on_grid = days[0] + np.round((np.asarray(session_days, float) - days[0]) / step) * step
    s = session_stimulus(doses)
    n = max((np.size(v) for v in params.values()), default=1)

    def col(name: str) -> Array:
        return np.broadcast_to(np.asarray(params[name], dtype=float).reshape(-1, 1), (n, 1))

    red = erythema(
        days,
        on_grid,
        s,
        col("erythema_settle_ref_d"),
        col("erythema_tau_d"),
        col("erythema_threshold"),
    )
    weights = interval_weights(on_grid, s, col("refractory_tau_d"))
    lag, peak = col("proliferation_lag_d"), col("proliferation_peak_d")
    # collagen and elastin on a daily grid (their time constants are weeks or more),
    # interpolated linearly onto the output grid
    coarse = days[0] + np.arange(int(np.ceil(days[-1] - days[0])) + 1, dtype=float)
    activity = proliferation(coarse, on_grid, weights, lag, peak)
    c3, c1 = remodel(
        1.0,
        activity,
        col("collagen_gain_pct"),
        col("collagen_capacity_pct"),
        col("maturation_tau_d"),
        col("collagen_i_tau_d"),
    )
    total_elastin = elastin(
        coarse,
        on_grid,
        s,
        weights,
        col("elastin_loss_pct"),
        col("elastin_gain_pct"),
        col("elastin_tau_d"),
        lag,
        peak,
    )
    position = days - coarse[0]  # the coarse grid has at least two points
    lo = np.minimum(np.floor(position).astype(int), coarse.size - 2)
    frac = position - lo
    c3_fine, c1_fine, elastin_fine = (
        x[:, lo] * (1 - frac) + x[:, lo + 1] * frac for x in (c3, c1, total_elastin)
    )
    settle = settling_days(on_grid, s, col("erythema_settle_ref_d"), col("erythema_tau_d")).reshape(
        -1
    )
    return {
        "days": days,
        "erythema": red,
        "collagen_iii_pct": c3_fine,
        "collagen_i_pct": c1_fine,
        "elastin_pct": elastin_fine,
        "settled_day": settle,
    }


@dataclass(frozen=True)
class HealingCourse:
    """One predicted course (the calibrated parameters): days from the first session."""

    days: Array
    erythema: Array
    collagen_iii_pct: Array
    collagen_i_pct: Array
    elastin_pct: Array
    session_days: tuple[float, ...]
    settled_day_d: float = 0.0

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


def healing_course(
    session_days: Sequence[float],
    doses: Sequence[float],
    params: HealingParameters | None = None,
    *,
    until_day: float | None = None,
    samples_per_day: int = 4,
) -> HealingCourse:
    """The course of a series with one parameter set (the calibrated one by default)."""
    p = params or calibrated_parameters()
    arrays = healing_arrays(
        session_days,
        doses,
        p.model_dump(),
        until_day=until_day,
        samples_per_day=samples_per_day,
    )
    return HealingCourse(
        arrays["days"],
        arrays["erythema"][0],
        arrays["collagen_iii_pct"][0],
        arrays["collagen_i_pct"][0],
        arrays["elastin_pct"][0],
        tuple(float(d) for d in session_days),
        float(arrays["settled_day"][0]),
    )


@dataclass(frozen=True)
class HealingInterval:
    """The 5th/50th/95th percentiles of each curve across the parameter ranges."""

    days: Array
    erythema: Band
    collagen_pct: Band
    collagen_iii_pct: Band
    collagen_i_pct: Band
    elastin_pct: Band
    settled_day: Band
    visible_day: Band
    never_visible_fraction: float
    samples: int
    seed: int

    def at(self, day: float) -> dict[str, dict[str, float]]:
        """Each curve's p5/p50/p95 interpolated at ``day``."""
        out: dict[str, dict[str, float]] = {}
        for name in ("erythema", "collagen_pct", "elastin_pct"):
            b: Band = getattr(self, name)
            out[name] = {
                q: float(np.interp(day, self.days, getattr(b, q))) for q in ("p5", "p50", "p95")
            }
        return out


def sample_parameters(
    samples: int = uncertainty.DEFAULT_SAMPLES, seed: int = uncertainty.DEFAULT_SEED
) -> dict[str, Any]:
    """A seeded Latin hypercube over every parameter range; fixed parameters as floats."""
    ranges = parameter_ranges()
    drawn: dict[str, Any] = dict(uncertainty.latin_hypercube(ranges, samples, seed=seed))
    for name, spec in parameter_specs().items():
        drawn.setdefault(name, spec.value)
    return drawn


def healing_interval(
    session_days: Sequence[float],
    doses: Sequence[float],
    *,
    samples: int = uncertainty.DEFAULT_SAMPLES,
    seed: int = uncertainty.DEFAULT_SEED,
    until_day: float | None = None,
    samples_per_day: int = 2,
) -> HealingInterval:
    """Propagate the parameter ranges of ``healing.yaml`` to every curve (Latin hypercube)."""
    drawn = sample_parameters(samples, seed)
    arrays = healing_arrays(
        session_days, doses, drawn, until_day=until_day, samples_per_day=samples_per_day
    )
    days = arrays["days"]
    collagen = arrays["collagen_iii_pct"] + arrays["collagen_i_pct"]
    threshold = np.broadcast_to(
        np.asarray(drawn["visible_threshold_pct"], dtype=float).reshape(-1, 1),
        (collagen.shape[0], 1),
    )
    reached = collagen >= threshold
    first = np.argmax(reached, axis=1)
    visible = np.where(reached.any(axis=1), days[first] - days[0], np.nan)
    return HealingInterval(
        days=days,
        erythema=uncertainty.band(arrays["erythema"]),
        collagen_pct=uncertainty.band(collagen),
        collagen_iii_pct=uncertainty.band(arrays["collagen_iii_pct"]),
        collagen_i_pct=uncertainty.band(arrays["collagen_i_pct"]),
        elastin_pct=uncertainty.band(arrays["elastin_pct"]),
        settled_day=uncertainty.band(arrays["settled_day"]),
        visible_day=uncertainty.band(visible)
        if np.isfinite(visible).any()
        else Band(*(np.array(np.nan),) * 3),
        never_visible_fraction=float(np.mean(~np.isfinite(visible))),
        samples=samples,
        seed=seed,
    )


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
