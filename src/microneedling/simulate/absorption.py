"""Uptake of a topical product through intact skin and through the open micro-channels.

Intact skin: the Potts-Guy relation, log10 kp [cm/h] = -2.74 + 0.71 log Kow - 0.0061 MW.
Channels: an aqueous pathway over the open area fraction, permeability D_aq / L, where D_aq is the
Stokes-Einstein diffusivity and L the distance from the channel tip to the subpapillary capillary
plexus. Channels close exponentially: tau about 0.67 h without occlusion (Gupta 2011: all resealed
within 2 h) and about 33 h under occlusion (human half-life 20-26 h). Steady-state fluxes; lag
times are not modelled.

The dose is finite by default: a film of ``applied_volume_ul_cm2`` (10 uL/cm2, OECD 428) holds
concentration x volume per cm2 and is depleted as it is absorbed, so no more than was applied is
ever delivered. An infinite dose (the concentration held constant, as in the Franz-cell studies
that report enhancement ratios) only when asked for.

The interval (p5, p50, p95 of the cumulative uptake) propagates the ranges of the uncertain
parameters (``simulation.yaml``: Potts-Guy error, channel closure time, applied film, channel width
and penetration depth) by a seeded Latin hypercube (:mod:`microneedling.simulate.uncertainty`),
each parameter uniform over its range.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from microneedling.core.anatomy import papillary_dermis
from microneedling.core.data import read_data
from microneedling.core.errors import NotFoundError, ValidationError
from microneedling.simulate import uncertainty
from microneedling.simulate.constants import constant, constants

BOLTZMANN_J_K = 1.380649e-23
AVOGADRO = 6.02214076e23
MODEL_VERSION = "absorption-2"
Array = NDArray[np.float64]


class Topical(BaseModel):
    """A product applied after needling: molecular weight (g/mol) and log Kow."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    name: str
    mw: float = Field(gt=0, le=10_000_000)
    log_kow: float = Field(ge=-10, le=10)
    source: str = "user"


@cache
def topicals() -> tuple[Topical, ...]:
    return tuple(Topical.model_validate(t) for t in read_data("topicals.yaml")["products"])


def find_topical(code: str) -> Topical:
    for product in topicals():
        if product.code == code.strip().lower():
            return product
    known = ", ".join(t.code for t in topicals())
    raise NotFoundError("topical product", f"{code!r} (known: {known}; or give --mw and --logkow)")


def potts_guy_kp_cm_h(mw: float, log_kow: float) -> float:
    """Intact-skin permeability coefficient (Potts & Guy 1992), cm/h."""
    log_kp = (
        constant("potts_guy_intercept_cm_h")
        + constant("potts_guy_logkow") * log_kow
        + constant("potts_guy_mw") * mw
    )
    return float(10.0**log_kp)


def stokes_radius_cm(mw: float) -> float:
    """Radius of a sphere of the molecule's mass at the assumed density."""
    volume_cm3 = mw / (constant("molecular_density_g_cm3") * AVOGADRO)
    return float((3.0 * volume_cm3 / (4.0 * np.pi)) ** (1.0 / 3.0))


def aqueous_diffusivity_cm2_h(mw: float) -> float:
    """Stokes-Einstein diffusivity in water at skin temperature, cm^2/h."""
    radius_m = stokes_radius_cm(mw) / 100.0
    d_m2_s = (BOLTZMANN_J_K * constant("skin_temperature_k")) / (
        6.0 * np.pi * constant("water_viscosity_pa_s") * radius_m
    )
    return float(d_m2_s * 1e4 * 3600.0)


def closure_tau_h(occluded: bool) -> float:
    return constant("closure_tau_occluded_h" if occluded else "closure_tau_open_h")


def _scaled_fraction(area_fraction: float, scale: float) -> float:
    """The Poisson covered fraction 1 - exp(-L) with L multiplied by ``scale``."""
    if area_fraction >= 1.0:
        return 1.0
    return float(-np.expm1(np.log1p(-area_fraction) * scale))


@dataclass(frozen=True)
class ChannelGeometry:
    """Open micro-channels: area fraction of the surface and the diffusion path below them,
    each with the range it may take (``None``: fixed)."""

    area_fraction: float
    path_length_mm: float
    area_fraction_range: tuple[float, float] | None = None
    path_length_range_mm: tuple[float, float] | None = None

    @classmethod
    def from_depths(
        cls,
        area_fraction: float,
        channel_depth_mm: float,
        capillary_depth_mm: float,
        minimum_path_mm: float,
    ) -> ChannelGeometry:
        """Path from the channel tip to the capillary plexus, at least ``minimum_path_mm``.

        The ranges follow from those of the channel width (area fraction, as the square of the
        width in the Poisson exponent), the penetration efficiency (channel depth) and the
        papillary dermis (capillary depth).
        """
        table = constants()
        width = table["channel_width_mm"]
        w_low, w_high = width.range
        fractions = (
            _scaled_fraction(area_fraction, (w_low / width.value) ** 2),
            _scaled_fraction(area_fraction, (w_high / width.value) ** 2),
        )
        efficiency = table["penetration_efficiency"]
        e_low, e_high = efficiency.range
        papillary = papillary_dermis()
        half = 0.0
        if papillary.low is not None and papillary.high is not None:
            half = (papillary.high - papillary.low) / 2000.0
        deepest_tip = channel_depth_mm * e_high / efficiency.value
        shallowest_tip = channel_depth_mm * e_low / efficiency.value
        paths = (
            max(capillary_depth_mm - half - deepest_tip, minimum_path_mm),
            max(capillary_depth_mm + half - shallowest_tip, minimum_path_mm),
        )
        return cls(
            area_fraction,
            max(capillary_depth_mm - channel_depth_mm, minimum_path_mm),
            area_fraction_range=fractions,
            path_length_range_mm=paths,
        )


@dataclass(frozen=True)
class AbsorptionCourse:
    hours: Array
    flux_ug_cm2_h: Array
    cumulative_ug_cm2: Array
    intact_cumulative_ug_cm2: float
    kp_cm_h: float
    channel_permeability_cm_h: float
    tau_h: float
    applied_ug_cm2: float | None
    warnings: tuple[str, ...]
    applied_volume_ul_cm2: float | None = None
    cumulative_p5_ug_cm2: Array | None = None
    cumulative_p50_ug_cm2: Array | None = None
    cumulative_p95_ug_cm2: Array | None = None
    interval_samples: int = 0

    @property
    def infinite_dose(self) -> bool:
        return self.applied_ug_cm2 is None

    @property
    def enhancement_ratio(self) -> float:
        """Cumulative uptake with channels over uptake through intact skin (inf if none)."""
        if self.intact_cumulative_ug_cm2 <= 1e-300:
            return float("inf")
        return float(self.cumulative_ug_cm2[-1] / self.intact_cumulative_ug_cm2)

    def interval_at_end(self) -> tuple[float, float, float] | None:
        """p5, p50 and p95 of the cumulative uptake at the last hour, ug/cm2."""
        if (
            self.cumulative_p5_ug_cm2 is None
            or self.cumulative_p50_ug_cm2 is None
            or self.cumulative_p95_ug_cm2 is None
        ):
            return None
        return (
            float(self.cumulative_p5_ug_cm2[-1]),
            float(self.cumulative_p50_ug_cm2[-1]),
            float(self.cumulative_p95_ug_cm2[-1]),
        )


def _exposure_cm(
    t: Array, kp: Array | float, p_channel: Array | float, tau: Array | float
) -> Array:
    """Integral of the total permeability over time: kp t + P tau (1 - exp(-t / tau))."""
    exposure: Array = kp * t - p_channel * tau * np.expm1(-t / tau)
    return exposure


def _cumulative(
    t: Array, c0: float, kp: Array, p_channel: Array, tau: Array, film_cm: Array | None
) -> Array:
    """Cumulative uptake, ug/cm2, for parameters given as columns (n, 1) against times (T,)."""
    exposure = _exposure_cm(t, kp, p_channel, tau)
    if film_cm is None:
        infinite: Array = c0 * exposure
        return infinite
    finite: Array = c0 * film_cm * -np.expm1(-exposure / film_cm)
    return finite


def applied_volume(applied_volume_ul_cm2: float | None, infinite_dose: bool) -> float | None:
    """The film applied, uL/cm2: as given, else ``simulation.yaml``'s default; None for an
    infinite dose."""
    if infinite_dose:
        return None
    return applied_volume_ul_cm2 or constant("applied_volume_ul_cm2")


def absorption_course(
    product: Topical,
    concentration_mg_ml: float,
    channels: ChannelGeometry | None,
    *,
    occluded: bool = False,
    hours: float = 24.0,
    applied_volume_ul_cm2: float | None = None,
    infinite_dose: bool = False,
    samples: int = 2001,
    interval_samples: int | None = None,
    seed: int = 0,
) -> AbsorptionCourse:
    """Flux and cumulative amount per cm^2 over ``hours`` after needling, with its interval.

    The dose is a film of ``applied_volume_ul_cm2`` (default ``simulation.yaml``'s 10 uL/cm2)
    that depletes as it is absorbed; ``infinite_dose`` holds the concentration constant instead.
    ``interval_samples`` Latin-hypercube samples (default from ``simulation.yaml``; 0: none)
    give the p5/p50/p95 band of the cumulative uptake, reproducibly for a given ``seed``.
    """
    if not concentration_mg_ml > 0:
        raise ValidationError("concentration_mg_ml", f"{concentration_mg_ml:g} must be above 0")
    if not 0 < hours <= 24 * 14:
        raise ValidationError("hours", f"{hours:g} is outside 0–336 h")
    if channels and not 0 <= channels.area_fraction <= 1:
        raise ValidationError("area_fraction", f"{channels.area_fraction:g} is outside 0–1")
    if applied_volume_ul_cm2 is not None:
        if infinite_dose:
            raise ValidationError(
                "applied_volume_ul_cm2", "an applied film and an infinite dose exclude each other"
            )
        if not 0 < applied_volume_ul_cm2 <= 100:
            raise ValidationError(
                "applied_volume_ul_cm2", f"{applied_volume_ul_cm2:g} is outside 0–100 uL/cm2"
            )
    table = constants()
    n_interval = (
        int(table["absorption_interval_samples"].value)
        if interval_samples is None
        else interval_samples
    )
    if not (n_interval == 0 or 2 <= n_interval <= 10_000):
        raise ValidationError("interval_samples", f"{n_interval} is not 0 or 2–10000")
    c0 = concentration_mg_ml * 1000.0  # ug/cm3
    kp = potts_guy_kp_cm_h(product.mw, product.log_kow)
    tau = closure_tau_h(occluded)
    diffusivity = aqueous_diffusivity_cm2_h(product.mw)
    p_channel = 0.0
    if channels and channels.area_fraction > 0:
        p_channel = channels.area_fraction * diffusivity / (channels.path_length_mm / 10.0)
    volume = applied_volume(applied_volume_ul_cm2, infinite_dose)
    film = None if volume is None else volume * 1e-3  # uL/cm2 = 1e-3 cm3/cm2
    t = np.linspace(0.0, hours, samples)
    total = float(t[-1])
    cumulative = _cumulative(
        t,
        c0,
        np.array(kp),
        np.array(p_channel),
        np.array(tau),
        None if film is None else np.array(film),
    )
    if film is None:
        concentration = np.full_like(t, c0)
        intact = c0 * kp * total
        applied: float | None = None
    else:
        concentration = c0 * np.exp(-_exposure_cm(t, kp, p_channel, tau) / film)
        applied = c0 * film
        intact = float(applied * -np.expm1(-kp * total / film))
    flux = (kp + p_channel * np.exp(-t / tau)) * concentration
    bands: list[Array | None] = [None, None, None]
    if n_interval:
        bands = list(
            _interval(
                t, c0, product, channels, occluded, film, applied_volume_ul_cm2, n_interval, seed
            )
        )
    warnings = []
    if product.mw > constant("potts_guy_max_mw"):
        warnings.append(
            f"{product.name}: MW {product.mw:g} is beyond the Potts-Guy data "
            f"(up to {constant('potts_guy_max_mw'):g}); intact-skin uptake is an extrapolation"
        )
    return AbsorptionCourse(
        hours=t,
        flux_ug_cm2_h=flux,
        cumulative_ug_cm2=cumulative,
        intact_cumulative_ug_cm2=intact,
        kp_cm_h=kp,
        channel_permeability_cm_h=p_channel,
        tau_h=tau,
        applied_ug_cm2=applied,
        warnings=tuple(warnings),
        applied_volume_ul_cm2=volume,
        cumulative_p5_ug_cm2=bands[0],
        cumulative_p50_ug_cm2=bands[1],
        cumulative_p95_ug_cm2=bands[2],
        interval_samples=n_interval,
    )


def _interval(
    t: Array,
    c0: float,
    product: Topical,
    channels: ChannelGeometry | None,
    occluded: bool,
    film_cm: float | None,
    given_volume: float | None,
    n: int,
    seed: int,
) -> tuple[Array, Array, Array]:
    """p5, p50, p95 of the cumulative uptake over a Latin hypercube of the parameter ranges."""
    curves = _sample_curves(t, c0, product, channels, occluded, film_cm, given_volume, n, seed)
    p5, p50, p95 = np.percentile(curves, [5.0, 50.0, 95.0], axis=0)
    return p5, p50, p95


def uptake_samples(
    product: Topical,
    concentration_mg_ml: float,
    channels: ChannelGeometry | None,
    *,
    occluded: bool = False,
    hours: float = 24.0,
    applied_volume_ul_cm2: float | None = None,
    infinite_dose: bool = False,
    samples: int = 64,
    seed: int = 0,
) -> Array:
    """Cumulative uptake at ``hours`` (ug/cm2) for each Latin-hypercube sample, shape (samples,).

    The same ``seed`` and ``samples`` draw the same unit hypercube, so two settings compared
    sample by sample share their parameter draws (common random numbers).
    """
    volume = applied_volume(applied_volume_ul_cm2, infinite_dose)
    film = None if volume is None else volume * 1e-3
    t = np.array([0.0, hours])
    curves = _sample_curves(
        t,
        concentration_mg_ml * 1000.0,
        product,
        channels,
        occluded,
        film,
        applied_volume_ul_cm2,
        samples,
        seed,
    )
    return curves[:, -1]


def _sample_curves(
    t: Array,
    c0: float,
    product: Topical,
    channels: ChannelGeometry | None,
    occluded: bool,
    film_cm: float | None,
    given_volume: float | None,
    n: int,
    seed: int,
) -> Array:
    """Cumulative uptake (n, T) over a Latin hypercube of the parameter ranges."""
    table = constants()
    tau_key = "closure_tau_occluded_h" if occluded else "closure_tau_open_h"
    ranges = {"log_kp_error": table["potts_guy_log_kp_error"].range, "tau_h": table[tau_key].range}
    finite_default = film_cm is not None and given_volume is None
    if finite_default:
        ranges["film_ul_cm2"] = table["applied_volume_ul_cm2"].range
    has_channels = channels is not None and channels.area_fraction > 0
    if channels is not None and has_channels:
        ranges["area_fraction"] = channels.area_fraction_range or (channels.area_fraction,) * 2
        ranges["path_mm"] = channels.path_length_range_mm or (channels.path_length_mm,) * 2
    draws = {k: v.reshape(-1) for k, v in uncertainty.latin_hypercube(ranges, n, seed=seed).items()}
    kp = potts_guy_kp_cm_h(product.mw, product.log_kow) * 10.0 ** draws["log_kp_error"]
    tau = draws["tau_h"]
    film: Array | None = None if film_cm is None else np.full(n, film_cm)
    if finite_default:
        film = draws["film_ul_cm2"] * 1e-3
    p_channel = np.zeros(n)
    if has_channels:
        diffusivity = aqueous_diffusivity_cm2_h(product.mw)
        p_channel = draws["area_fraction"] * diffusivity / (draws["path_mm"] / 10.0)
    return _cumulative(
        t,
        c0,
        kp[:, None],
        p_channel[:, None],
        tau[:, None],
        None if film is None else film[:, None],
    )
