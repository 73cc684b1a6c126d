"""The clinic's devices and their needle cartridges (model, needle count, lot, expiry), and the
device a simulation uses: a custom file's, the clinic's own (with its recorded geometry) or the
catalogue's."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError as PydanticValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from microneedling.core.clinical import DeviceKind
from microneedling.core.data import first_error
from microneedling.core.errors import NotFoundError, ValidationError
from microneedling.core.parsing import check_id, check_range, parse_enum
from microneedling.records import models
from microneedling.services.lookups import by_id
from microneedling.services.views import device_view, record

if TYPE_CHECKING:  # the simulation's device models import NumPy: loaded when a device is simulated
    from microneedling.simulate.devices import DeviceSpec

MAX_NEEDLES = 1000

GEOMETRY_LIMITS: dict[str, tuple[float, float, str]] = {
    "needle_diameter_mm": (0.05, 1.0, "mm"),
    "footprint_mm": (0.5, 30.0, "mm"),
    "frequency_min_hz": (1.0, 1000.0, "Hz"),
    "frequency_max_hz": (1.0, 1000.0, "Hz"),
    "rows": (1, MAX_NEEDLES, ""),
    "drum_diameter_mm": (1.0, 100.0, "mm"),
    "drum_width_mm": (1.0, 100.0, "mm"),
    "pitch_mm": (0.1, 10.0, "mm"),
}
"""Bounds of each geometry field (those of the simulation's device specs)."""

NEEDED: dict[DeviceKind, tuple[str, ...]] = {
    DeviceKind.PEN: ("footprint_mm", "frequency_min_hz", "frequency_max_hz"),
    DeviceKind.ROLLER: ("rows", "drum_diameter_mm", "drum_width_mm"),
    DeviceKind.STAMP: ("rows", "pitch_mm"),
}
"""The geometry a simulation needs, per kind (the needle diameter is optional: 0.25 mm)."""


def _check_geometry(
    kind: DeviceKind, needle_count: int, geometry: dict[str, float | None], f: str
) -> dict[str, float | None]:
    given = {k: v for k, v in geometry.items() if v is not None}
    for key, value in given.items():
        if key not in GEOMETRY_LIMITS:
            raise ValidationError(f"{f}{key}", "not a device geometry field")
        if key != "needle_diameter_mm" and key not in NEEDED[kind]:
            raise ValidationError(f"{f}{key}", f"a {kind.value} has no {key}")
        low, high, unit = GEOMETRY_LIMITS[key]
        check_range(value, f"{f}{key}", low, high, unit)
    rows = given.get("rows")
    if rows is not None and (rows != int(rows) or needle_count % int(rows)):
        raise ValidationError(
            f"{f}rows", f"{needle_count} needles do not divide into {rows:g} rows"
        )
    fmin, fmax = given.get("frequency_min_hz"), given.get("frequency_max_hz")
    if fmin is not None and fmax is not None and fmin > fmax:
        raise ValidationError(
            f"{f}frequency_max_hz", f"{fmax:g} Hz is below the minimum {fmin:g} Hz"
        )
    return {k: geometry.get(k) for k in GEOMETRY_LIMITS}


def add_device(
    session: Session,
    *,
    model: str,
    kind: str,
    needle_count: int,
    depth_min_mm: float,
    depth_max_mm: float,
    field_prefix: str = "",
    **geometry: float | None,
) -> dict[str, Any]:
    """Register a device; ``geometry`` (see :data:`GEOMETRY_LIMITS`) lets it be simulated."""
    f = field_prefix
    if not model.strip():
        raise ValidationError(f"{f}model", "name the device model")
    device_kind = parse_enum(DeviceKind, kind, f"{f}kind")
    check_range(needle_count, f"{f}needle_count", 1, MAX_NEEDLES)
    check_range(depth_min_mm, f"{f}depth_min_mm", 0.05, 3.0, "mm")
    check_range(depth_max_mm, f"{f}depth_max_mm", depth_min_mm, 3.0, "mm")
    values = _check_geometry(device_kind, needle_count, geometry, f)
    if session.scalar(select(models.Device.id).where(models.Device.model == model)):
        raise ValidationError(f"{f}model", f"device {model!r} already exists")
    device = models.Device(
        model=model,
        kind=device_kind.value,
        needle_count=needle_count,
        depth_min_mm=depth_min_mm,
        depth_max_mm=depth_max_mm,
        **values,
    )
    session.add(device)
    session.flush()
    return device_view(device)


def add_cartridge(
    session: Session,
    *,
    device_id: int,
    lot: str,
    expiry: date,
    needle_count: int | None = None,
    field_prefix: str = "",
) -> dict[str, Any]:
    f = field_prefix
    device = by_id(session, models.Device, device_id, "device")
    if not lot.strip():
        raise ValidationError(f"{f}lot", "give the cartridge lot number")
    count = needle_count if needle_count is not None else device.needle_count
    check_range(count, f"{f}needle_count", 1, MAX_NEEDLES)
    taken = select(models.Cartridge.id).where(
        models.Cartridge.device_id == device.id, models.Cartridge.lot == lot
    )
    if session.scalar(taken):
        raise ValidationError(f"{f}lot", f"lot {lot!r} is already registered for {device.model}")
    cartridge = models.Cartridge(device_id=device.id, lot=lot, needle_count=count, expiry=expiry)
    session.add(cartridge)
    session.flush()
    return record(cartridge)


def device_by_model_or_id(session: Session, key: str) -> models.Device:
    """Find a device by numeric id or exact model name."""
    if key.isascii() and key.isdigit():  # '²'.isdigit() is true, but not an id
        return by_id(session, models.Device, check_id(key, "device"), "device")
    device = session.scalar(select(models.Device).where(models.Device.model == key))
    if device is None:
        raise NotFoundError("device", repr(key))
    return device


def list_devices(session: Session) -> list[dict[str, Any]]:
    return [
        device_view(d) | {"simulation_missing": missing_geometry(d)}
        for d in session.scalars(select(models.Device).order_by(models.Device.id))
    ]


def set_geometry(session: Session, *, device_id: int, **geometry: float | None) -> dict[str, Any]:
    """Record (or correct) a device's simulation geometry; fields not given are kept."""
    device = by_id(session, models.Device, device_id, "device")
    merged = {k: getattr(device, k) for k in GEOMETRY_LIMITS} | {
        k: v for k, v in geometry.items() if v is not None
    }
    values = _check_geometry(DeviceKind(device.kind), device.needle_count, merged, "")
    for key, value in values.items():
        setattr(device, key, value)
    session.flush()
    return device_view(device)


def missing_geometry(device: models.Device) -> list[str]:
    """The geometry fields a simulation of ``device`` still needs."""
    return [k for k in NEEDED[DeviceKind(device.kind)] if getattr(device, k) is None]


def spec_from_record(device: models.Device) -> DeviceSpec:
    """The simulation spec of a clinic's device, or an error naming the geometry it lacks."""
    from microneedling.simulate.devices import PenSpec, RollerSpec, StampSpec

    missing = missing_geometry(device)
    if missing:
        raise ValidationError(
            "device",
            f"{device.model!r} in the clinic's records lacks {', '.join(missing)} for a "
            "simulation; record them with the device, or use a catalogue device",
        )
    spec: dict[str, Any] = {
        "model": device.model,
        "needles": device.needle_count,
        "needle_diameter_mm": device.needle_diameter_mm or 0.25,
        "source": "estimate",
        "note": "geometry recorded by the clinic",
    }
    depth = {"min": device.depth_min_mm, "max": device.depth_max_mm}
    try:
        match DeviceKind(device.kind):
            case DeviceKind.PEN:
                return PenSpec.model_validate(
                    spec
                    | {
                        "frequency_hz": {
                            "min": device.frequency_min_hz,
                            "max": device.frequency_max_hz,
                        },
                        "depth_mm": depth,
                        "footprint_mm": device.footprint_mm,
                    }
                )
            case DeviceKind.ROLLER:
                return RollerSpec.model_validate(
                    spec
                    | {
                        "rows": device.rows,
                        "drum_diameter_mm": device.drum_diameter_mm,
                        "drum_width_mm": device.drum_width_mm,
                        "needle_length_mm": device.depth_max_mm,
                    }
                )
            case DeviceKind.STAMP:
                rows = int(device.rows or 1)
                return StampSpec.model_validate(
                    spec
                    | {
                        "grid": (rows, device.needle_count // rows),
                        "pitch_mm": device.pitch_mm,
                        "depth_mm": depth,
                    }
                )
    except PydanticValidationError as exc:
        raise first_error(exc, f"device {device.model!r}: ") from None


def simulation_device(
    session: Session | None, model: str, extra: list[DeviceSpec] | None = None
) -> DeviceSpec:
    """The device a simulation uses, by model name (case-insensitive).

    In order: a custom device (``extra``), the clinic's own device when its geometry is recorded,
    the catalogue's device of that name. A clinic device without geometry and without a
    catalogue namesake is refused, naming what it lacks.
    """
    from microneedling.simulate.devices import catalogue

    key = model.strip().lower()
    for spec in extra or []:
        if spec.model.lower() == key:
            return spec
    record_device = None
    if session is not None:
        record_device = session.scalar(
            select(models.Device).where(func.lower(models.Device.model) == key)
        )
        if record_device is not None and not missing_geometry(record_device):
            return spec_from_record(record_device)
    for spec in catalogue():
        if spec.model.lower() == key:
            return spec
    if record_device is not None:
        return spec_from_record(record_device)  # raises, naming the missing geometry
    known = [d.model for d in [*(extra or []), *catalogue()]]
    if session is not None:
        known += [m for m in session.scalars(select(models.Device.model)) if m not in known]
    raise NotFoundError("simulation device", f"{model!r} (known: {', '.join(known)})")
