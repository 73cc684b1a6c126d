"""Uptake of a topical product through intact skin and through the open micro-channels.

Intact skin: the Potts-Guy relation, log10 kp [cm/h] = -2.74 + 0.71 log Kow - 0.0061 MW.
Channels: an aqueous pathway over the open area fraction, permeability D_aq / L, where D_aq is the
Stokes-Einstein diffusivity and L the distance from the channel tip to the subpapillary capillary
plexus. Channels close exponentially: tau about 0.67 h without occlusion (Gupta 2011: all resealed
within 2 h) and about 33 h under occlusion (human half-life 20-26 h). Steady-state fluxes with an
infinite dose; lag times are not modelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field

from microneedling.core.data import read_data
from microneedling.core.errors import NotFoundError, ValidationError
from microneedling.simulate.constants import constant

BOLTZMANN_J_K = 1.380649e-23
AVOGADRO = 6.02214076e23
MODEL_VERSION = "absorption-1"
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


@dataclass(frozen=True)
class ChannelGeometry:
    """Open micro-channels: area fraction of the surface and the diffusion path below them."""

    area_fraction: float
    path_length_mm: float

    @classmethod
    def from_depths(
        cls,
        area_fraction: float,
        channel_depth_mm: float,
        capillary_depth_mm: float,
        minimum_path_mm: float,
    ) -> ChannelGeometry:
        """Path from the channel tip to the capillary plexus, at least ``minimum_path_mm``."""
        return cls(area_fraction, max(capillary_depth_mm - channel_depth_mm, minimum_path_mm))


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

    @property
    def enhancement_ratio(self) -> float:
        """Cumulative uptake with channels over uptake through intact skin (inf if none)."""
        if self.intact_cumulative_ug_cm2 <= 1e-300:
            return float("inf")
        return float(self.cumulative_ug_cm2[-1] / self.intact_cumulative_ug_cm2)


def _exposure_cm(t: Array, kp: float, p_channel: float, tau: float) -> Array:
    """Integral of the total permeability over time: kp t + P tau (1 - exp(-t / tau))."""
    exposure: Array = kp * t - p_channel * tau * np.expm1(-t / tau)
    return exposure


def absorption_course(
    product: Topical,
    concentration_mg_ml: float,
    channels: ChannelGeometry | None,
    *,
    occluded: bool = False,
    hours: float = 24.0,
    applied_volume_ul_cm2: float | None = None,
    samples: int = 2001,
) -> AbsorptionCourse:
    """Flux and cumulative amount per cm^2 over ``hours`` after needling.

    By default the dose is infinite (the concentration stays constant, as in the Franz-cell
    studies that report enhancement ratios). A finite dose, a film of ``applied_volume_ul_cm2``
    (OECD 428 suggests up to 10 uL/cm2), depletes as it is absorbed.
    """
    if not concentration_mg_ml > 0:
        raise ValidationError("concentration_mg_ml", f"{concentration_mg_ml:g} must be above 0")
    if not 0 < hours <= 24 * 14:
        raise ValidationError("hours", f"{hours:g} is outside 0–336 h")
    if channels and not 0 <= channels.area_fraction <= 1:
        raise ValidationError("area_fraction", f"{channels.area_fraction:g} is outside 0–1")
    if applied_volume_ul_cm2 is not None and not 0 < applied_volume_ul_cm2 <= 100:
        raise ValidationError(
            "applied_volume_ul_cm2", f"{applied_volume_ul_cm2:g} is outside 0–100 uL/cm2"
        )
    c0 = concentration_mg_ml * 1000.0  # ug/cm3
    kp = potts_guy_kp_cm_h(product.mw, product.log_kow)
    tau = closure_tau_h(occluded)
    p_channel = 0.0
    if channels and channels.area_fraction > 0:
        path_cm = channels.path_length_mm / 10.0
        p_channel = channels.area_fraction * aqueous_diffusivity_cm2_h(product.mw) / path_cm
    t = np.linspace(0.0, hours, samples)
    total = float(t[-1])
    if applied_volume_ul_cm2 is None:
        concentration = np.full_like(t, c0)
        cumulative = c0 * _exposure_cm(t, kp, p_channel, tau)
        intact = c0 * kp * total
        applied: float | None = None
    else:
        film_cm = applied_volume_ul_cm2 * 1e-3  # uL/cm2 = 1e-3 cm3/cm2
        concentration = c0 * np.exp(-_exposure_cm(t, kp, p_channel, tau) / film_cm)
        applied = c0 * film_cm
        cumulative = applied - concentration * film_cm
        intact = float(applied * -np.expm1(-kp * total / film_cm))
    flux = (kp + p_channel * np.exp(-t / tau)) * concentration
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
    )
