"""``microneedling simulate``: predict punctures, injury, depth, healing and absorption."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from microneedling.cli.context import state
from microneedling.cli.output import JsonOption, message, print_json, table, warnings
from microneedling.cli.parsing import key_values
from microneedling.core.clinical import Pattern
from microneedling.core.errors import ValidationError
from microneedling.core.files import atomic_output, check_output
from microneedling.core.parsing import parse_depth_mm, parse_enum, parse_float
from microneedling.core.vocabulary import display, in_words
from microneedling.core.zones import FacialZone, parse_zone

if TYPE_CHECKING:  # the models import SciPy: loaded only when a simulation runs
    from microneedling.simulate.devices import DeviceSpec
    from microneedling.simulate.treatment import ProductUse

FACE = [z for z in FacialZone if z is not FacialZone.NECK]
PLOT_SUFFIXES = (".png", ".svg", ".pdf")
MAX_SEED = 2**32 - 1
MAX_CONCENTRATION_MG_ML = 1000.0  # pure water is 1,000 mg/mL: no solution holds more
MAX_HOURS = 24.0 * 14


def _check_options(*, seed: int, concentration: float, hours: float) -> None:
    """Refuse every option that is out of range before any work (no traceback, no half run).

    NaN and infinity never reach here: every float option of the CLI refuses them as it is
    parsed (``cli.parsing.guard_parameters``)."""
    if not 0 <= seed <= MAX_SEED:
        raise ValidationError("seed", f"{seed} is outside 0–{MAX_SEED}")
    if not 0 < concentration <= MAX_CONCENTRATION_MG_ML:
        raise ValidationError(
            "concentration_mg_ml", f"{concentration:g} is outside 0–{MAX_CONCENTRATION_MG_ML:g}"
        )
    if not 0 < hours <= MAX_HOURS:
        raise ValidationError("hours", f"{hours:g} is outside 0–{MAX_HOURS:g} h")


def _product(
    code: str | None,
    mw: float | None,
    logkow: float | None,
    concentration: float,
    occluded: bool,
    hours: float,
    applied_volume: float | None,
    infinite_dose: bool = False,
) -> ProductUse | None:
    from microneedling.simulate.absorption import Topical, find_topical
    from microneedling.simulate.treatment import ProductUse

    if code is None and mw is None and logkow is None:
        return None
    if code is not None:
        if mw is not None or logkow is not None:
            raise ValidationError("product", "give either --product or --mw with --logkow")
        product = find_topical(code)
    else:
        if mw is None or logkow is None:
            raise ValidationError("mw", "a custom product needs both --mw and --logkow")
        try:
            product = Topical(
                code="custom", name=f"MW {mw:g}, log Kow {logkow:g}", mw=mw, log_kow=logkow
            )
        except ValueError as exc:
            raise ValidationError("mw", str(exc).splitlines()[-1]) from None
    if infinite_dose and applied_volume is not None:
        raise ValidationError("applied_volume_ul_cm2", "give --applied-volume or --infinite-dose")
    return ProductUse(product, concentration, occluded, hours, applied_volume, infinite_dose)


def _day(value: float | None, none: str = "—") -> str:
    return none if value is None else f"day {value:.0f}"


def _range(band: dict[str, Any] | None, unit: str) -> str:
    """' (p5–p95 unit)' of an interval, empty when a percentile is missing."""
    if not band or band.get("p5") is None or band.get("p95") is None:
        return ""
    return f" ({band['p5']:.0f}–{band['p95']:.0f}{unit})"


def _uptake_cell(view: dict[str, Any]) -> str:
    text = f"{view['cumulative_ug_cm2']:,.2f}"
    band = view.get("cumulative_ug_cm2_interval")
    if band:
        text += f" ({band['p5']:,.3g}–{band['p95']:,.3g})"
    return text


def render(summary: dict[str, Any]) -> None:
    schedule = summary["schedule"]
    zones = summary["zones"]
    table(
        f"{summary['device']}: {summary['punctures_per_session']:,} punctures per session",
        ("zone", "depth mm", "reaches", "per cm²", "spacing mm", "injured %", "overlap"),
        (
            (
                display("zone", z["zone"]),
                f"{z['depth_mm']:g} → {z['effective_depth_mm']:.2f}",
                display("layer", z["layer"]),
                f"{z['density_per_cm2']:,.0f}",
                f"{z['spacing_median_mm']:.3f}",
                f"{100 * z['injured_fraction']:.1f} ({100 * z['injured_fraction_poisson']:.1f})",
                f"{100 * z['overtreated_fraction']:.0f}%",
            )
            for z in zones
        ),
    )
    message(
        "  depth: nominal → effective (penetration efficiency); injured %: simulated "
        "(Poisson model); overlap: punctures merging with a neighbour"
    )
    table(
        f"Healing over {schedule['sessions']} session(s) every {schedule['interval_days']} days",
        ("zone", "redness gone", "visible change", "collagen wk 12", "12 wk after last"),
        (
            (
                display("zone", z["zone"]),
                _day(z["erythema_settled_day"]) + _range(z["erythema_settled_day_interval"], ""),
                _day(z["visible_day"], none="not reached") + _range(z["visible_day_interval"], ""),
                f"{z['collagen_pct_by_week'][12]:+.0f}%"
                + _range(z["collagen_pct_by_week_interval"][12], "%"),
                f"{z['collagen_pct_12_weeks_after_last']:+.0f}%"
                + _range(z["collagen_pct_12_weeks_after_last_interval"], "%"),
            )
            for z in zones
        ),
    )
    message(
        "  in brackets: 5th–95th percentile over the parameter ranges; collagen: % change on the "
        "scale of ultrasound dermal density (Kenkel 2021), not histological collagen content"
    )
    if summary["product"]:
        p = summary["product"]
        first = summary["zones"][0]["absorption"]
        dose = (
            "infinite dose"
            if first.get("applied_ug_cm2") is None
            else f"{first['applied_volume_ul_cm2']:g} µL/cm² film, "
            f"{first['applied_ug_cm2']:,.1f} µg/cm² applied"
        )
        table(
            f"Absorption of {p['name']} ({p['concentration_mg_ml']:g} mg/mL, {dose}, "
            f"{'occluded' if p['occluded'] else 'not occluded'}) over {p['hours']:g} h",
            ("zone", "µg/cm² (p5–p95)", "intact µg/cm²", "ratio", "closure τ h"),
            (
                (
                    display("zone", z["zone"]),
                    _uptake_cell(z["absorption"]),
                    f"{z['absorption']['intact_cumulative_ug_cm2']:.3g}",
                    "∞"
                    if z["absorption"]["enhancement_ratio"] is None
                    else f"{z['absorption']['enhancement_ratio']:,.1f}×",
                    f"{z['absorption']['closure_tau_h']:g}",
                )
                for z in summary["zones"]
            ),
        )
        warnings(summary["zones"][0]["absorption"]["warnings"])
    warnings(summary["warnings"])
    message(
        f"Model {summary['model_version']}: predictions, not measurements. {summary['disclaimer']}",
        style="italic",
    )


SETTING_KEYS = {
    "depth": "depth_mm",
    "passes": "passes",
    "sessions": "sessions",
    "interval": "interval_days",
    "interval_days": "interval_days",
}


def _setting_value(key: str, text: str, field: str) -> tuple[str, float]:
    name = SETTING_KEYS.get(key.strip().lower())
    if name is None:
        raise ValidationError(
            field, f"cannot vary {key!r}; choose depth, passes, sessions, interval"
        )
    if name == "depth_mm":
        return name, parse_depth_mm(text, f"{field}.depth")
    return name, parse_float(text, f"{field}.{key.strip()}")


def _variants(compare: list[str], setting: list[str]) -> list[dict[str, float]]:
    """``--compare depth=0.5,1.0`` (one setting, several values) and/or ``--setting
    depth=1.0,passes=4`` (one variant each) as the list of compared settings."""
    variants: list[dict[str, float]] = []
    for item in compare:
        key, sep, values = item.partition("=")
        if not sep or not values.strip():
            raise ValidationError("compare", f"{item!r} is not setting=value,value")
        variants += [
            dict([_setting_value(key, v, "compare")]) for v in values.split(",") if v.strip()
        ]
    for item in setting:
        variant: dict[str, float] = {}
        for pair in item.split(","):
            key, sep, value = pair.partition("=")
            if not sep:
                raise ValidationError("setting", f"{pair!r} is not setting=value")
            name, number = _setting_value(key, value, "setting")
            variant[name] = number
        variants.append(variant)
    if len(variants) == 1:
        raise ValidationError("compare", "give two or more settings to compare")
    return variants


def _band(metric: dict[str, Any], fmt: str) -> str:
    text = format(metric["value"], fmt)
    if "p5" in metric:
        text += f" ({format(metric['p5'], fmt)} to {format(metric['p95'], fmt)})"
    return text


def render_comparison(view: dict[str, Any]) -> None:
    columns = (
        ("effective_depth_mm", "reaches mm", ".2f"),
        ("injured_pct", "injured %", ".1f"),
        ("redness_settled_day", "redness gone, day", ".1f"),
        ("collagen_pct_week_12", "collagen wk 12 %", "+.0f"),
        ("collagen_pct_12_weeks_after_last", "12 wk after last %", "+.0f"),
        ("uptake_ug_cm2", "uptake µg/cm²", ".3g"),
    )
    shown = [c for c in columns if c[0] in view["settings"][0]["zones"][0]["outcomes"]]
    for key, label in (("outcomes", "Settings compared"), ("difference", "Difference from")):
        rows = []
        for item in view["settings"]:
            for zone in item["zones"]:
                if key not in zone:
                    continue
                values = zone[key]
                rows.append(
                    (
                        item["label"],
                        display("zone", zone["zone"]),
                        *(_band(values[c], fmt) for c, _, fmt in shown),
                    )
                )
        title = label if key == "outcomes" else f"{label} {view['reference']}"
        table(f"{title} ({view['device']})", ("setting", "zone", *(h for _, h, _ in shown)), rows)
    message(f"  intervals: {view['interval']}")
    warnings(sorted({z["warning"] for s in view["settings"] for z in s["zones"] if z["warning"]}))
    message(f"Model {view['model_version']}: predictions, not measurements. {view['disclaimer']}")


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def render_explanation(view: dict[str, Any]) -> None:
    """The model's parameters, then its published points: fitted ones, then held-out ones."""
    table(
        f"Healing model {view['model_version']}: parameters (the interval draws from the range)",
        ["parameter", "value", "range", "unit", "source", "fitted"],
        [
            [
                p["name"],
                _cell(p["value"]),
                f"{_cell(p['low'])}–{_cell(p['high'])}",
                p.get("unit") or "",
                in_words(p.get("source") or "") + ("" if p.get("verified", True) else " *"),
                "yes" if p.get("fitted") else "no",
            ]
            for p in view["parameters"]
        ],
    )
    unverified = [p["name"] for p in view["parameters"] if p.get("verified") is False]
    if unverified:
        message(
            "* Source not verified against its text (kept; the interval draws from its range): "
            + ", ".join(unverified)
        )
    for role, title in (
        ("calibration", "Calibration points (the fit used these)"),
        ("validation", "Validation points (the fit never saw these)"),
        ("reference", "Reference points (shown, not tested)"),
    ):
        rows = [r for r in view["points"] if r["role"] == role]
        if not rows:
            continue
        table(
            title,
            ["point", "source", "observed", "model", "error", "tolerance", "within"],
            [
                [
                    r["point"],
                    in_words(r["source"] or ""),
                    _cell(r["observed"]),
                    _cell(r["predicted"]),
                    _cell(r["error"]),
                    r["tolerance"],
                    "yes" if r["passed"] else "NO",
                ]
                for r in rows
            ],
        )
    message(
        f"{view['validation_passed']} of {view['validation_total']} validation points within "
        f"their stated tolerance. {view['disclaimer']}"
    )


def simulate(
    ctx: typer.Context,
    device: str | None = typer.Option(None, "--device", help="Device model from the catalogue."),
    depth: str | None = typer.Option(None, "--depth", help="Needle depth for every zone, mm."),
    zone_depth: list[str] = typer.Option([], "--zone-depth", help="Per zone: zone=mm."),
    zone: list[str] = typer.Option([], "--zone", help="Zone (repeatable; default: whole face)."),
    passes: int | None = typer.Option(None, "--passes", help="Passes (default 3; rollers 15)."),
    pattern: str = typer.Option(
        "crosshatch", "--pattern", help="horizontal, vertical, diagonal, crosshatch, circular."
    ),
    frequency: float | None = typer.Option(None, "--frequency", help="Pen stamps per s (Hz)."),
    speed: float | None = typer.Option(None, "--speed", help="Hand speed, mm/s (default 30)."),
    overlap: float | None = typer.Option(None, "--overlap", help="Stroke overlap, 0-0.95."),
    sessions: int = typer.Option(1, "--sessions", help="Sessions in the series."),
    interval_days: int = typer.Option(30, "--interval-days", help="Days between sessions."),
    product: str | None = typer.Option(
        None,
        "--product",
        help="Topical: caffeine, niacinamide, ascorbic_acid, tranexamic_acid, lidocaine, ...",
    ),
    mw: float | None = typer.Option(None, "--mw", help="Custom product molecular weight, g/mol."),
    logkow: float | None = typer.Option(None, "--logkow", help="Custom product log Kow."),
    concentration: float = typer.Option(10.0, "--concentration", help="Product, mg/mL."),
    occluded: bool = typer.Option(False, "--occluded", help="Product kept under occlusion."),
    hours: float = typer.Option(24.0, "--hours", help="Absorption period, h."),
    applied_volume: float | None = typer.Option(
        None, "--applied-volume", help="Film of product left on the skin, uL/cm2 (default 10)."
    ),
    infinite_dose: bool = typer.Option(
        False, "--infinite-dose", help="Hold the concentration constant (no depletion)."
    ),
    compare: list[str] = typer.Option(
        [], "--compare", help="Compare settings: depth=0.5,1.0 (or passes, sessions, interval)."
    ),
    setting: list[str] = typer.Option(
        [], "--setting", help="One compared setting, e.g. depth=1.0,passes=4 (repeatable)."
    ),
    plan_id: int | None = typer.Option(None, "--plan", help="Simulate a stored plan."),
    session_id: int | None = typer.Option(None, "--session", help="Simulate a recorded session."),
    store: bool = typer.Option(True, "--store/--no-store", help="Keep plan/session predictions."),
    devices_file: Path | None = typer.Option(None, "--devices-file", help="Custom devices."),
    seed: int = typer.Option(0, "--seed", help="Random seed (results are reproducible)."),
    plot: Path | None = typer.Option(
        None, "--plot", help="Write the predictions as a picture (.png, .svg or .pdf)."
    ),
    force: bool = typer.Option(False, "--force", help="Replace the --plot file if it exists."),
    explain: bool = typer.Option(
        False,
        "--explain",
        help="Show the healing model's parameters and its published calibration and "
        "validation points with their errors, then exit.",
    ),
    as_json: bool = JsonOption,
) -> None:
    """Predict what a treatment does: punctures, injured area, depth, healing and absorption."""
    from microneedling.services import predictions, simulation

    if explain:
        view = simulation.explain_model()
        print_json(view) if as_json else render_explanation(view)
        return
    from microneedling.simulate.devices import load_devices_file
    from microneedling.simulate.treatment import Schedule

    _check_options(
        seed=seed,
        concentration=concentration,
        hours=hours,
    )
    Schedule(sessions, interval_days).days()  # refuses a series out of range, before any work
    if plot is not None:
        check_output(plot, "plot", force=force, suffixes=PLOT_SUFFIXES)
    extra: list[DeviceSpec] = load_devices_file(devices_file) if devices_file else []
    use = _product(
        product, mw, logkow, concentration, occluded, hours, applied_volume, infinite_dose
    )
    the_pattern = parse_enum(Pattern, pattern, "pattern")
    stored = None
    subject = None
    if plan_id is not None or session_id is not None:
        if plan_id is not None and session_id is not None:
            raise ValidationError("plan", "give --plan or --session, not both")
        if device or depth or zone or zone_depth:
            raise ValidationError(
                "plan", "a stored plan or session brings its own device, zones and depths"
            )
        if compare or setting:
            raise ValidationError("compare", "compare settings of a device, not a stored plan")
        st = state(ctx)
        with st.transaction() as db:
            if plan_id is not None:
                result, stored = predictions.simulate_plan(
                    db,
                    plan_id=plan_id,
                    product=use,
                    passes=passes,
                    pattern=the_pattern,
                    seed=seed,
                    extra_devices=extra,
                    store=store,
                )
                subject = predictions.subject_of(db, plan_id=plan_id)
            else:
                assert session_id is not None
                result, stored = predictions.simulate_session(
                    db,
                    session_id=session_id,
                    product=use,
                    seed=seed,
                    extra_devices=extra,
                    store=store,
                )
                subject = predictions.subject_of(db, session_id=session_id)
    else:
        if device is None:
            raise ValidationError("device", "name a device (--device), or give --plan/--session")
        spec = simulation.resolve_device(device, extra, state(ctx).reading)
        per_zone = {
            parse_zone(k, "zone_depth"): parse_depth_mm(v, f"zone_depth.{k}")
            for k, v in key_values(zone_depth, "zone_depth").items()
        }
        if depth is not None and not depth.strip():
            depth = None
        request = simulation.SimulationRequest(
            depth_mm=None if depth is None else parse_depth_mm(depth, "depth"),
            zone_depths=per_zone,
            zones=[parse_zone(z) for z in zone],
            passes=passes,
            pattern=the_pattern,
            frequency_hz=frequency,
            speed_mm_s=None if speed is None else parse_float(speed, "speed_mm_s"),
            overlap=overlap,
            sessions=sessions,
            interval_days=interval_days,
            product=use,
            seed=seed,
        )
        variants = _variants(compare, setting)
        if variants:
            if plot is not None:
                raise ValidationError("plot", "a comparison has no plot; drop --plot")
            view = simulation.compare_settings(spec, request, variants)
            print_json(view) if as_json else render_comparison(view)
            return
        result = simulation.simulate_request(spec, request)
    summary = result.summary()
    if plot is not None:
        from microneedling.reports.simulation_plot import plot_simulation

        with atomic_output(plot, "plot", force=force, suffixes=PLOT_SUFFIXES) as out:
            plot_simulation(result, out.temp, subject=subject)
    if as_json:
        print_json(summary | {"stored": stored})
        return
    render(summary)
    if stored:
        message(
            f"prediction {stored['id']} stored with {stored['kind']} "
            f"{stored.get('plan_id') or stored.get('session_id')}"
        )
    if plot is not None:
        message(f"wrote {plot}")
