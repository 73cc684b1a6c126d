"""``microneedling devices``: pens, rollers and stamps with their cartridge lots."""

from __future__ import annotations

from typing import Any

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
    needle_diameter: float | None = typer.Option(
        None, "--needle-diameter", help="Needle diameter, mm (simulation; default 0.25)."
    ),
    footprint: float | None = typer.Option(
        None, "--footprint", help="Pen: cartridge footprint diameter, mm (simulation)."
    ),
    frequency_min: float | None = typer.Option(
        None, "--frequency-min", help="Pen: lowest stamping frequency, Hz (simulation)."
    ),
    frequency_max: float | None = typer.Option(
        None, "--frequency-max", help="Pen: highest stamping frequency, Hz (simulation)."
    ),
    rows: int | None = typer.Option(
        None, "--rows", help="Roller: needle rows; stamp: rows of the needle grid (simulation)."
    ),
    drum_diameter: float | None = typer.Option(
        None, "--drum-diameter", help="Roller: drum diameter, mm (simulation)."
    ),
    drum_width: float | None = typer.Option(
        None, "--drum-width", help="Roller: drum width, mm (simulation)."
    ),
    pitch: float | None = typer.Option(
        None, "--pitch", help="Stamp: needle spacing, mm (simulation)."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Register a device; with its geometry, ``simulate --device`` can use it."""
    with state(ctx).transaction() as db:
        view = service.add_device(
            db,
            model=model,
            kind=kind,
            needle_count=needles,
            depth_min_mm=depth_min,
            depth_max_mm=depth_max,
            needle_diameter_mm=needle_diameter,
            footprint_mm=footprint,
            frequency_min_hz=frequency_min,
            frequency_max_hz=frequency_max,
            rows=rows,
            drum_diameter_mm=drum_diameter,
            drum_width_mm=drum_width,
            pitch_mm=pitch,
        )
    print_json(view) if as_json else fields(f"Device {model} registered", view, _keys(view))


def _keys(view: dict[str, Any]) -> tuple[str, ...]:
    base = ("id", "model", "kind", "needle_count", "depth_min_mm", "depth_max_mm")
    return base + tuple(k for k in service.GEOMETRY_LIMITS if view.get(k) is not None)


@app.command("geometry")
def geometry(
    ctx: typer.Context,
    device: str = typer.Argument(..., help="Device id or model."),
    needle_diameter: float | None = typer.Option(None, "--needle-diameter", help="mm."),
    footprint: float | None = typer.Option(None, "--footprint", help="Pen footprint, mm."),
    frequency_min: float | None = typer.Option(None, "--frequency-min", help="Pen, Hz."),
    frequency_max: float | None = typer.Option(None, "--frequency-max", help="Pen, Hz."),
    rows: int | None = typer.Option(None, "--rows", help="Roller rows / stamp grid rows."),
    drum_diameter: float | None = typer.Option(None, "--drum-diameter", help="Roller, mm."),
    drum_width: float | None = typer.Option(None, "--drum-width", help="Roller, mm."),
    pitch: float | None = typer.Option(None, "--pitch", help="Stamp needle spacing, mm."),
    as_json: bool = JsonOption,
) -> None:
    """Record a registered device's geometry, so that it can be simulated."""
    with state(ctx).transaction() as db:
        the_device = service.device_by_model_or_id(db, device)
        view = service.set_geometry(
            db,
            device_id=the_device.id,
            needle_diameter_mm=needle_diameter,
            footprint_mm=footprint,
            frequency_min_hz=frequency_min,
            frequency_max_hz=frequency_max,
            rows=rows,
            drum_diameter_mm=drum_diameter,
            drum_width_mm=drum_width,
            pitch_mm=pitch,
        )
    if as_json:
        print_json(view)
        return
    fields(f"Device {view['model']} geometry", view, _keys(view))


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
        ("id", "model", "kind", "needles", "depth mm", "simulation", "cartridge lots"),
        (
            (
                d["id"],
                d["model"],
                d["kind"],
                d["needle_count"],
                f"{d['depth_min_mm']:g}–{d['depth_max_mm']:g}",
                "lacks " + ", ".join(d["simulation_missing"])
                if d["simulation_missing"]
                else "ready",
                ", ".join(f"{c['lot']} (exp {c['expiry']})" for c in d["cartridges"]),
            )
            for d in rows
        ),
    )
