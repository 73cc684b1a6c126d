"""Where the needles enter: the puncture coordinates of a whole session on one zone.

A pen is moved in parallel strokes across the zone (turned by the pass's pattern angle) at
``speed_mm_s`` and stamps its cartridge ``frequency_hz`` times a second; a roller leaves a ring
of needles every drum circumference / rows; a stamp is pressed on a grid. All punctures of a pass
are generated at once with NumPy, then clipped to the zone outline.
"""

from __future__ import annotations

from collections.abc import Sequence
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
MAX_SPEED_MM_S = 10_000.0
MAX_PUNCTURES = 8_000_000
"""The most punctures one simulated session may generate (all zones and passes, before clipping
to the outlines): four times the default whole-face session on a pen (about 2,000,000, of which
750,000 fall inside the zones), some 15 s and under 1 GB on one core."""
MAX_MEMORY_BYTES = 1_500_000_000
"""The most memory one simulated session may be estimated to need at its peak."""


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
    if not 0 < settings.speed_mm_s < MAX_SPEED_MM_S:
        raise ValidationError(
            "speed_mm_s", f"{settings.speed_mm_s:g} is outside 0–{MAX_SPEED_MM_S:g} mm/s"
        )
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
    check_budget(estimate_budget(device, settings, [outline]), device, settings)
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


# --- what a request costs, known before anything is allocated ---------------------------------

BYTES_PER_GENERATED = 72
"""Peak bytes per puncture of one pass before clipping: stamp centres, needle positions in the
pass frame and the world frame (16 each), and the outline lookup's index arrays (40)."""
BYTES_PER_KEPT = 84
"""Bytes per puncture kept inside a zone: the coordinates and pass (18, kept for the plot), their
stacked copy (18) and the k-d tree over them (48)."""
BYTES_PER_PAIR = 48
"""Bytes per pair of punctures closer than the safety spacing (the pair list and its sort)."""


def _steps(low: float, high: float, step: float) -> int:
    """How many points ``np.arange(low + u, high, step)`` holds at most, for u in [0, step)."""
    return max(int(np.ceil((high - low) / step)), 0)


def generated_per_pass(
    device: DeviceSpec, settings: TreatmentSettings, outline: ZoneOutline
) -> list[int]:
    """Punctures each pass generates over the zone's padded box, before clipping: exactly the
    sizes the generators allocate, from the bounds alone."""
    frequency = check_settings(device, settings)
    angles = PASS_ANGLES_DEG[settings.pattern]
    counts = []
    for index in range(settings.passes):
        bounds = _pass_frame_bounds(
            outline, _rotation(angles[index % len(angles)]), device.swath_mm
        )
        (x0, y0), (x1, y1) = bounds
        if isinstance(device, RollerSpec):
            strokes = _steps(y0, y1, device.drum_width_mm * (1.0 - settings.overlap))
            rows = _steps(x0, x1, np.pi * device.drum_diameter_mm / device.rows) + 1
            counts.append(strokes * rows * (device.needles // device.rows))
            continue
        spacing = device.swath_mm * (1.0 - settings.overlap)
        step = settings.speed_mm_s / frequency if isinstance(device, PenSpec) else spacing
        counts.append(_steps(x0, x1, step) * _steps(y0, y1, spacing) * device.needles)
    return counts


@dataclass(frozen=True)
class PunctureBudget:
    """What a simulated session will generate and hold, estimated before it runs."""

    generated: int
    """Punctures generated over all zones and passes, before clipping to the outlines."""
    kept: int
    """Expected punctures inside the zones (density times area)."""
    peak_bytes: int
    """Estimated peak memory of the puncture fields and their k-d trees."""


def estimate_budget(
    device: DeviceSpec, settings: TreatmentSettings, outlines: Sequence[ZoneOutline]
) -> PunctureBudget:
    """The punctures and peak memory of simulating ``outlines`` with ``settings``.

    The largest transient (one pass before clipping, or one zone's k-d tree and close pairs)
    comes on top of the punctures every zone keeps for the result.
    """
    density_mm2 = expected_density_per_cm2(device, settings) / 100.0
    close = density_mm2 * np.pi * constant("safety_spacing_mm") ** 2 / 2.0
    generated = kept = 0
    transient = 0.0
    for outline in outlines:
        passes = generated_per_pass(device, settings, outline)
        zone_kept = density_mm2 * outline.area_mm2
        generated += sum(passes)
        kept += int(zone_kept)
        transient = max(
            transient,
            BYTES_PER_GENERATED * max(passes, default=0),
            zone_kept * (BYTES_PER_KEPT + BYTES_PER_PAIR * close),
        )
    peak = transient + 18 * kept
    return PunctureBudget(generated, kept, int(peak))


def _driving_setting(device: DeviceSpec, settings: TreatmentSettings) -> str:
    """The setting to name when a request is too large: what made it dense."""
    if isinstance(device, PenSpec) and settings.speed_mm_s < constant("hand_speed_mm_s"):
        return "speed_mm_s"
    if settings.overlap > constant("line_overlap"):
        return "overlap"
    return "passes"


def check_budget(
    budget: PunctureBudget,
    device: DeviceSpec,
    settings: TreatmentSettings,
    *,
    max_punctures: int = MAX_PUNCTURES,
    max_bytes: int = MAX_MEMORY_BYTES,
) -> None:
    """Refuse a session past ``max_punctures`` generated or ``max_bytes`` of memory, naming the
    setting that drives its size."""
    field = _driving_setting(device, settings)
    if budget.generated > max_punctures:
        raise ValidationError(
            field,
            f"the session would generate about {budget.generated:,} punctures "
            f"(limit {max_punctures:,}); {_advice(field)}",
        )
    if budget.peak_bytes > max_bytes:
        raise ValidationError(
            field,
            f"the session would need about {budget.peak_bytes / 1e9:.1f} GB of memory "
            f"(limit {max_bytes / 1e9:.1f} GB); {_advice(field)}",
        )


def _advice(field: str) -> str:
    return {
        "speed_mm_s": "use a faster hand speed or a lower frequency, or fewer zones",
        "overlap": "use less stroke overlap, or fewer zones",
    }.get(field, "use fewer passes or zones")
