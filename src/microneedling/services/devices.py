"""The clinic's devices and their needle cartridges (model, needle count, lot, expiry)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from microneedling.core.clinical import DeviceKind
from microneedling.core.errors import NotFoundError, ValidationError
from microneedling.core.parsing import check_id, check_range, parse_enum
from microneedling.records import models
from microneedling.services.lookups import by_id
from microneedling.services.views import device_view, record

MAX_NEEDLES = 1000


def add_device(
    session: Session,
    *,
    model: str,
    kind: str,
    needle_count: int,
    depth_min_mm: float,
    depth_max_mm: float,
    field_prefix: str = "",
) -> dict[str, Any]:
    f = field_prefix
    if not model.strip():
        raise ValidationError(f"{f}model", "name the device model")
    device_kind = parse_enum(DeviceKind, kind, f"{f}kind")
    check_range(needle_count, f"{f}needle_count", 1, MAX_NEEDLES)
    check_range(depth_min_mm, f"{f}depth_min_mm", 0.05, 3.0, "mm")
    check_range(depth_max_mm, f"{f}depth_max_mm", depth_min_mm, 3.0, "mm")
    if session.scalar(select(models.Device.id).where(models.Device.model == model)):
        raise ValidationError(f"{f}model", f"device {model!r} already exists")
    device = models.Device(
        model=model,
        kind=device_kind.value,
        needle_count=needle_count,
        depth_min_mm=depth_min_mm,
        depth_max_mm=depth_max_mm,
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
        device_view(d) for d in session.scalars(select(models.Device).order_by(models.Device.id))
    ]
