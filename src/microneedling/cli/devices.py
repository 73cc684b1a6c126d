"""``microneedling devices``: pens, rollers and stamps with their cartridge lots."""

from __future__ import annotations

import typer

from microneedling.cli.context import new_app, state
from microneedling.cli.output import JsonOption, fields, print_json, table
from microneedling.core.parsing import parse_date
from microneedling.services import devices as service

app = new_app("Register devices and cartridge lots.")


@app.command("add")
def add(
    ctx: typer.Context,
    model: str = typer.Argument(..., help="Device model, e.g. 'Dermapen 4'."),
    kind: str = typer.Option(..., "--kind", help="pen, roller or stamp."),
    needles: int = typer.Option(..., "--needles", help="Needles per cartridge / drum."),
    depth_min: float = typer.Option(..., "--depth-min", help="Shallowest setting, mm."),
    depth_max: float = typer.Option(..., "--depth-max", help="Deepest setting, mm."),
    as_json: bool = JsonOption,
) -> None:
    """Register a device."""
    with state(ctx).transaction() as db:
        view = service.add_device(
            db,
            model=model,
            kind=kind,
            needle_count=needles,
            depth_min_mm=depth_min,
            depth_max_mm=depth_max,
        )
    keys = ("id", "model", "kind", "needle_count", "depth_min_mm", "depth_max_mm")
    print_json(view) if as_json else fields(f"Device {model} registered", view, keys)


@app.command("cartridge")
def cartridge(
    ctx: typer.Context,
    device: str = typer.Argument(..., help="Device id or model."),
    lot: str = typer.Option(..., "--lot", help="Lot number."),
    expiry: str = typer.Option(..., "--expiry", help="Expiry date, YYYY-MM-DD."),
    needles: int | None = typer.Option(None, "--needles", help="Default: the device's."),
    as_json: bool = JsonOption,
) -> None:
    """Register a cartridge lot for a device."""
    with state(ctx).transaction() as db:
        the_device = service.device_by_model_or_id(db, device)
        view = service.add_cartridge(
            db,
            device_id=the_device.id,
            lot=lot,
            expiry=parse_date(expiry, "expiry"),
            needle_count=needles,
        )
    print_json(view) if as_json else fields(
        f"Cartridge {lot} registered", view, ("id", "device_id", "lot", "needle_count", "expiry")
    )


@app.command("list")
def list_(ctx: typer.Context, as_json: bool = JsonOption) -> None:
    """List devices and their cartridge lots."""
    with state(ctx).reading() as db:
        rows = service.list_devices(db)
    if as_json:
        print_json(rows)
        return
    table(
        "Devices",
        ("id", "model", "kind", "needles", "depth mm", "cartridge lots"),
        (
            (
                d["id"],
                d["model"],
                d["kind"],
                d["needle_count"],
                f"{d['depth_min_mm']:g}–{d['depth_max_mm']:g}",
                ", ".join(f"{c['lot']} (exp {c['expiry']})" for c in d["cartridges"]),
            )
            for d in rows
        ),
    )
