"""Where the needles enter: the puncture coordinates of a whole session on one zone.

A pen is moved in parallel strokes across the zone (turned by the pass's pattern angle) at
``speed_mm_s`` and stamps its cartridge ``frequency_hz`` times a second; a roller leaves a ring
of needles every drum circumference / rows; a stamp is pressed on a grid. All punctures of a pass
are generated at once with NumPy, then clipped to the zone outline.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from microneedling.core.clinical import Pattern
from microneedling.core.errors import ValidationError
from microneedling.simulate.constants import constant
from microneedling.simulate.devices import DeviceSpec, PenSpec, RollerSpec, StampSpec
from microneedling.simulate.geometry import Points, ZoneOutline

PASS_ANGLES_DEG: dict[Pattern, tuple[float, ...]] = {
    Pattern.HORIZONTAL: (0.0,),
    Pattern.VERTICAL: (90.0,),
    Pattern.DIAGONAL: (45.0,),
    Pattern.CROSSHATCH: (0.0, 90.0, 45.0, 135.0),
    Pattern.CIRCULAR: (0.0, 90.0),
}
MAX_PASSES = 30


@dataclass(frozen=True)
class TreatmentSettings:
    """How the device is used on a zone."""

    depth_mm: float
    passes: int = 3
    pattern: Pattern = Pattern.CROSSHATCH
    frequency_hz: float | None = None
    speed_mm_s: float = field(default_factory=lambda: constant("hand_speed_mm_s"))
    overlap: float = field(default_factory=lambda: constant("line_overlap"))
    jitter_mm: float = field(default_factory=lambda: constant("hand_jitter_mm"))
    seed: int = 0


def check_settings(device: DeviceSpec, settings: TreatmentSettings) -> float:
    """Refuse impossible settings; return the stamping frequency a pen will use."""
    if not 1 <= settings.passes <= MAX_PASSES:
        raise ValidationError("passes", f"{settings.passes} is outside 1–{MAX_PASSES}")
    if not settings.speed_mm_s > 0:
        raise ValidationError("speed_mm_s", f"{settings.speed_mm_s:g} must be above 0 mm/s")
    if not 0 <= settings.overlap < 0.95:
        raise ValidationError("overlap", f"{settings.overlap:g} is outside 0–0.95")
    if not 0 <= settings.jitter_mm <= 5:
        raise ValidationError("jitter_mm", f"{settings.jitter_mm:g} is outside 0–5 mm")
    depth = device.depth_mm
    if not depth.min - 1e-9 <= settings.depth_mm <= depth.max + 1e-9:
        raise ValidationError(
            "depth_mm",
            f"{settings.depth_mm:g} mm is beyond {device.model}'s range "
            f"{depth.min:g}–{depth.max:g} mm",
        )
    if isinstance(device, PenSpec):
        frequency = settings.frequency_hz or device.frequency_hz.max
        low, high = device.frequency_hz.min, device.frequency_hz.max
        if not low <= frequency <= high:
            raise ValidationError(
                "frequency_hz", f"{frequency:g} Hz is outside {device.model}'s {low:g}–{high:g} Hz"
            )
        return frequency
    return 0.0


@dataclass(frozen=True)
class PunctureField:
    """Puncture coordinates (mm) on one zone, and which pass made each."""

    xy: Points
    pass_index: NDArray[np.int16]

    def __len__(self) -> int:
        return len(self.xy)


def _rotation(angle_deg: float) -> NDArray[np.float64]:
    a = np.deg2rad(angle_deg)
    return np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])


def _pass_frame_bounds(
    outline: ZoneOutline, rot: NDArray[np.float64], pad: float
) -> NDArray[np.float64]:
    """The zone's bounding box in the pass frame (x along strokes), padded."""
    local = np.vstack(outline.parts) @ rot  # world -> pass frame
    return np.array([local.min(axis=0) - pad, local.max(axis=0) + pad])


def _pen_centres(
    device: PenSpec,
    settings: TreatmentSettings,
    frequency: float,
    bounds: NDArray[np.float64],
    circular: bool,
    rng: np.random.Generator,
) -> Points:
    step = settings.speed_mm_s / frequency
    spacing = device.swath_mm * (1.0 - settings.overlap)
    (x0, y0), (x1, y1) = bounds
    xs = np.arange(x0 + rng.uniform(0, step), x1, step)
    ys = np.arange(y0 + rng.uniform(0, spacing), y1, spacing)
    gx, gy = np.meshgrid(xs, ys)
    centres = np.column_stack([gx.ravel(), gy.ravel()])
    if circular:
        radius = device.swath_mm / 2.0
        phase = 2.0 * np.pi * centres[:, 0] / device.swath_mm
        centres += radius * np.column_stack([np.cos(phase), np.sin(phase)])
    return centres


def _stamp_centres(
    device: StampSpec,
    settings: TreatmentSettings,
    bounds: NDArray[np.float64],
    rng: np.random.Generator,
) -> Points:
    spacing = device.swath_mm * (1.0 - settings.overlap)
    (x0, y0), (x1, y1) = bounds
    start = rng.uniform(0, spacing, size=2)
    gx, gy = np.meshgrid(
        np.arange(x0 + start[0], x1, spacing), np.arange(y0 + start[1], y1, spacing)
    )
    return np.column_stack([gx.ravel(), gy.ravel()])


def _roller_points(
    device: RollerSpec,
    settings: TreatmentSettings,
    bounds: NDArray[np.float64],
    rng: np.random.Generator,
) -> Points:
    """Each stroke rolls the drum straight along x; rows touch every circumference / rows."""
    per_row = device.needles // device.rows
    row_step = np.pi * device.drum_diameter_mm / device.rows
    across = device.drum_width_mm / per_row
    spacing = device.drum_width_mm * (1.0 - settings.overlap)
    (x0, y0), (x1, y1) = bounds
    strokes = np.arange(y0 + rng.uniform(0, spacing), y1, spacing)
    strokes = strokes + rng.normal(0.0, settings.jitter_mm, size=len(strokes))
    rows_x = np.arange(x0, x1, row_step)
    phase = rng.uniform(0, row_step, size=len(strokes))
    row_x = rows_x[None, :] + phase[:, None]  # (strokes, rows along the stroke)
    row_number = np.arange(len(rows_x))
    stagger = np.where(row_number % 2 == 0, 0.0, 0.5 * across)
    lateral = (np.arange(per_row) + 0.5) * across - device.drum_width_mm / 2
    y = strokes[:, None, None] + stagger[None, :, None] + lateral[None, None, :]
    x = np.broadcast_to(row_x[:, :, None], y.shape)
    return np.column_stack([x.ravel(), y.ravel()])


def generate_punctures(
    device: DeviceSpec, settings: TreatmentSettings, outline: ZoneOutline
) -> PunctureField:
    """Every puncture of a session on one zone, reproducible from ``settings.seed``."""
    frequency = check_settings(device, settings)
    rng = np.random.default_rng(settings.seed)
    angles = PASS_ANGLES_DEG[settings.pattern]
    pad = device.swath_mm
    chunks: list[Points] = []
    passes: list[NDArray[np.int16]] = []
    for index in range(settings.passes):
        rot = _rotation(angles[index % len(angles)])
        bounds = _pass_frame_bounds(outline, rot, pad)
        if isinstance(device, RollerSpec):
            local = _roller_points(device, settings, bounds, rng)
        else:
            if isinstance(device, PenSpec):
                centres = _pen_centres(
                    device,
                    settings,
                    frequency,
                    bounds,
                    settings.pattern is Pattern.CIRCULAR,
                    rng,
                )
            else:
                centres = _stamp_centres(device, settings, bounds, rng)
            centres += rng.normal(0.0, settings.jitter_mm, size=centres.shape)
            local = (centres[:, None, :] + device.needle_offsets()[None, :, :]).reshape(-1, 2)
        world = local @ rot.T  # pass frame -> world
        inside = world[outline.contains_fast(world)]
        chunks.append(inside)
        passes.append(np.full(len(inside), index, dtype=np.int16))
    return PunctureField(np.vstack(chunks), np.concatenate(passes))


def expected_density_per_cm2(device: DeviceSpec, settings: TreatmentSettings) -> float:
    """Mean punctures per cm^2 the settings put down, from the device geometry alone.

    Pen: passes N f / (w (1 - overlap) v); roller: passes N / (pi D W (1 - overlap));
    stamp: passes N / (w (1 - overlap))^2, with w the swath width.
    """
    frequency = check_settings(device, settings)
    keep = 1.0 - settings.overlap
    if isinstance(device, PenSpec):
        per_mm2 = device.needles * frequency / (device.swath_mm * keep * settings.speed_mm_s)
    elif isinstance(device, RollerSpec):
        per_mm2 = device.needles / (np.pi * device.drum_diameter_mm * device.drum_width_mm * keep)
    else:
        per_mm2 = device.needles / (device.swath_mm * keep) ** 2
    return float(settings.passes * per_mm2 * 100.0)


def poisson_field(density_per_mm2: float, outline: ZoneOutline, seed: int = 0) -> PunctureField:
    """Punctures placed completely at random: the case the Poisson coverage formula describes."""
    rng = np.random.default_rng(seed)
    n = rng.poisson(density_per_mm2 * outline.area_mm2)
    return PunctureField(outline.sample(int(n), rng), np.zeros(int(n), dtype=np.int16))
