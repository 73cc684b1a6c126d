"""The analysis settings of ``analysis.yaml``, typed and validated once."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict

from microneedling.core.data import check_sources, read_data


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Value(_Strict):
    value: float
    source: str
    note: str = ""


class Span(_Strict):
    min: float
    max: float
    source: str
    note: str = ""


class Values(_Strict):
    values: tuple[float, ...]
    source: str


class Quality(_Strict):
    max_abs_yaw_deg: Value
    max_abs_pitch_deg: Value
    max_abs_roll_deg: Value
    refuse_abs_yaw_deg: Value
    min_sharpness: Value
    min_median_l: Value
    max_median_l: Value
    max_clipped_fraction: Value
    max_cheek_l_difference: Value


class Metrics(_Strict):
    red_delta_a: Value
    illumination_sigma_mm: Value
    texture_sigma_mm: Value
    texture_coarse_mm: Value
    texture_min_fine_px: Value
    sclera_reference_l: Value
    grey_card_reflectance: Value
    contrast_window_mm: Value
    skin_edge_mm: Value
    blob_min_roundness: Value
    pore_radius_mm: Span
    pore_min_contrast_l: Value
    pore_min_snr: Value
    scar_radius_mm: Span
    scar_min_contrast_l: Value
    scar_min_snr: Value
    scar_max_b_per_l: Value
    scar_min_fill: Value
    pigment_radius_mm: Span
    pigment_min_delta_b: Value
    pigment_min_snr: Value
    pigment_min_roundness: Value
    pigment_min_b_per_l: Value
    wrinkle_sigmas_mm: Values
    wrinkle_min_contrast_l: Value
    wrinkle_min_snr: Value
    wrinkle_min_length_mm: Value
    wrinkle_min_elongation: Value
    wrinkle_anisotropy_beta: Value


class AnalysisSettings(_Strict):
    working_mm_per_px: Value
    quality: Quality
    metrics: Metrics


def _sources(node: Any) -> set[str]:
    if isinstance(node, BaseModel):
        found = {node.source} if hasattr(node, "source") else set()
        for value in node.__dict__.values():
            found |= _sources(value)
        return found
    return set()


@cache
def analysis_settings() -> AnalysisSettings:
    settings = AnalysisSettings.model_validate(read_data("analysis.yaml"))
    check_sources(settings, _sources(settings))
    return settings
