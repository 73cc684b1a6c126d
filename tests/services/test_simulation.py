"""The prediction workflow: the device from a custom file, the catalogue or the clinic's records;
settings compared side by side with paired intervals."""

from __future__ import annotations

from typing import Any

import pytest

from microneedling.core.errors import NotFoundError, ValidationError
from microneedling.core.zones import FacialZone
from microneedling.records.database import Database
from microneedling.services import devices, simulation
from microneedling.simulate.absorption import find_topical
from microneedling.simulate.devices import PenSpec, RollerSpec, StampSpec
from microneedling.simulate.treatment import ProductUse

PEN_GEOMETRY: dict[str, Any] = {
    "footprint_mm": 5.0,
    "frequency_min_hz": 50.0,
    "frequency_max_hz": 100.0,
}


def _add(database: Database, model: str, kind: str, needles: int, **geometry: Any) -> None:
    with database.transaction("t") as s:
        devices.add_device(
            s,
            model=model,
            kind=kind,
            needle_count=needles,
            depth_min_mm=0.25,
            depth_max_mm=1.5 if kind != "roller" else 1.0,
            **geometry,
        )


def test_a_clinic_device_with_geometry_is_simulated(database: Database) -> None:
    _add(database, "MyPen", "pen", 24, **PEN_GEOMETRY)
    _add(database, "MyRoller", "roller", 96, rows=8, drum_diameter_mm=20, drum_width_mm=15)
    _add(database, "MyStamp", "stamp", 12, rows=3, pitch_mm=1.5)
    pen = simulation.resolve_device("mypen", None, lambda: database.reading())
    assert isinstance(pen, PenSpec) and pen.needles == 24 and pen.footprint_mm == 5.0
    assert (pen.frequency_hz.min, pen.frequency_hz.max) == (50.0, 100.0)
    roller = simulation.resolve_device("MyRoller", None, lambda: database.reading())
    assert isinstance(roller, RollerSpec) and roller.rows == 8 and roller.needle_length_mm == 1.0
    stamp = simulation.resolve_device("MyStamp", None, lambda: database.reading())
    assert isinstance(stamp, StampSpec) and stamp.grid == (3, 4)
    result = simulation.simulate_request(
        pen, simulation.SimulationRequest(depth_mm=0.5, zones=[FacialZone.FOREHEAD], passes=1)
    )
    assert result.device.model == "MyPen" and result.zones[0].injury.punctures > 0


def test_a_clinic_device_without_geometry_names_what_is_missing(database: Database) -> None:
    _add(database, "BarePen", "pen", 12, footprint_mm=5.0)
    with pytest.raises(ValidationError) as err:
        simulation.resolve_device("BarePen", None, lambda: database.reading())
    assert err.value.field == "device"
    assert "frequency_min_hz, frequency_max_hz" in str(err.value)
    assert "footprint_mm" not in str(err.value)
    with database.transaction("t") as s:
        bare = devices.device_by_model_or_id(s, "BarePen")
        devices.set_geometry(s, device_id=bare.id, frequency_min_hz=40, frequency_max_hz=90)
    pen = simulation.resolve_device("BarePen", None, lambda: database.reading())
    assert isinstance(pen, PenSpec) and pen.frequency_hz.max == 90


def test_a_catalogue_namesake_without_geometry_uses_the_catalogue(database: Database) -> None:
    _add(database, "Dermapen 4", "pen", 16)
    with database.reading() as s:
        spec = devices.simulation_device(s, "Dermapen 4")
    assert isinstance(spec, PenSpec) and spec.footprint_mm == 6.0


@pytest.mark.parametrize(
    ("kind", "geometry", "field", "fragment"),
    [
        ("roller", {"footprint_mm": 5.0}, "footprint_mm", "a roller has no footprint_mm"),
        ("pen", {"footprint_mm": 50.0}, "footprint_mm", "outside the allowed range"),
        ("roller", {"rows": 7}, "rows", "do not divide"),
        ("pen", {"frequency_min_hz": 90, "frequency_max_hz": 40}, "frequency_max_hz", "below"),
    ],
)
def test_bad_geometry_is_refused(
    database: Database, kind: str, geometry: dict[str, Any], field: str, fragment: str
) -> None:
    with pytest.raises(ValidationError) as err:
        _add(database, "X", kind, 96, **geometry)
    assert err.value.field == field and fragment in str(err.value)


def test_unknown_device_lists_catalogue_and_records(database: Database) -> None:
    _add(database, "MyPen", "pen", 24, **PEN_GEOMETRY)
    with pytest.raises(NotFoundError, match=r"Dermapen 4.*MyPen"), database.reading() as s:
        devices.simulation_device(s, "Laser 3000")
    with pytest.raises(NotFoundError, match="Laser 3000"):
        simulation.resolve_device("Laser 3000")


def test_compare_depths_side_by_side_with_paired_intervals() -> None:
    device = simulation.resolve_device("Dermapen 4")
    base = simulation.SimulationRequest(
        depth_mm=1.0,
        zones=[FacialZone.FOREHEAD],
        passes=1,
        product=ProductUse(find_topical("niacinamide"), 10.0),
    )
    view = simulation.compare_settings(device, base, [{"depth_mm": 0.25}, {"depth_mm": 0.75}])
    shallow, deep = view["settings"]
    assert view["reference"] == "depth 0.25 mm" and deep["label"] == "depth 0.75 mm"
    assert "difference" not in shallow["zones"][0]
    outcomes, diff = deep["zones"][0]["outcomes"], deep["zones"][0]["difference"]
    for name in ("collagen_pct_week_12", "redness_settled_day", "uptake_ug_cm2"):
        metric = outcomes[name]
        assert metric["p5"] <= metric["p95"]
    # deeper needling: more collagen, and the paired interval of the difference excludes zero
    collagen = diff["collagen_pct_week_12"]
    assert collagen["value"] > 0 and 0 < collagen["p5"] <= collagen["p95"]
    assert diff["effective_depth_mm"]["value"] == pytest.approx(0.5 * 0.198, abs=1e-3)
    # the finite dose caps the uptake at what was applied (10 mg/mL x 10 uL/cm2)
    assert outcomes["uptake_ug_cm2"]["value"] <= 100.0 + 1e-6


def test_compare_series_and_bad_requests() -> None:
    device = simulation.resolve_device("Derma stamp 36")
    base = simulation.SimulationRequest(depth_mm=0.5, zones=[FacialZone.NOSE], passes=1)
    view = simulation.compare_settings(
        device, base, [{"sessions": 1}, {"sessions": 3, "interval_days": 14}]
    )
    second = view["settings"][1]
    assert (second["sessions"], second["interval_days"]) == (3, 14)
    after = second["zones"][0]["difference"]["collagen_pct_12_weeks_after_last"]
    assert after["value"] > 0
    with pytest.raises(ValidationError, match="compare 2–6 settings"):
        simulation.compare_settings(device, base, [{"sessions": 1}])
    with pytest.raises(ValidationError, match="cannot vary pattern"):
        simulation.compare_settings(device, base, [{"pattern": 1}, {"sessions": 2}])
    with pytest.raises(ValidationError, match="not a whole number"):
        simulation.compare_settings(device, base, [{"passes": 1.5}, {"passes": 2}])
    with pytest.raises(ValidationError) as err:
        simulation.simulate_request(device, simulation.SimulationRequest())
    assert err.value.field == "depth"


def test_the_figure_reads_at_a_glance() -> None:
    """Patient and plan in the title, linear axes, bands, scale bars, no CLI text inside."""
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection

    from microneedling.reports.simulation_plot import simulation_figure

    device = simulation.resolve_device("Dermapen 4")
    result = simulation.simulate_request(
        device,
        simulation.SimulationRequest(depth_mm=0.5, zones=[FacialZone.NOSE], passes=1, sessions=2),
    )
    fig = simulation_figure(result, subject="Patient MN-0042 · plan 1, acne scars")
    try:
        suptitle = fig.get_suptitle()
        assert "Patient MN-0042 · plan 1" in suptitle and "Dermapen 4" in suptitle
        texts = [t.get_text() for ax in fig.axes for t in ax.texts]
        assert "no topical product" in texts and "10 mm" in texts and "1 mm" in texts
        assert not any("--" in t for t in texts)
        for ax in fig.axes:
            assert ax.get_xscale() == "linear" and ax.get_yscale() == "linear"
        labels = {ax.get_xlabel() for ax in fig.axes}
        assert {"days after the last session", "weeks after the first session"} <= labels
        bands = [c for ax in fig.axes for c in ax.collections if isinstance(c, PolyCollection)]
        assert len(bands) >= 2  # redness and collagen carry their p5-p95 band
        titles = " ".join(ax.get_title() for ax in fig.axes)
        assert "ultrasound dermal density" in titles  # Kenkel's measure, not collagen content
    finally:
        plt.close(fig)


def test_the_healing_table_shows_intervals_and_the_collagen_scale(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The CLI's healing table gives each figure its p5-p95 and names the collagen scale."""
    from microneedling.cli.simulate import render

    device = simulation.resolve_device("Dermapen 4")
    result = simulation.simulate_request(
        device,
        simulation.SimulationRequest(depth_mm=1.0, zones=[FacialZone.NOSE], passes=1, sessions=2),
    )
    summary = result.summary()
    render(summary)
    text = " ".join(capsys.readouterr().out.split())
    band = summary["zones"][0]["collagen_pct_by_week_interval"][12]
    assert f"({band['p5']:.0f}–{band['p95']:.0f}%)" in text
    assert "ultrasound dermal density" in text and "not histological collagen content" in text


def test_cli_devices_add_then_simulate_it(cli: Any) -> None:
    """`devices add MyPen` with its geometry is found by `simulate --device MyPen`; without
    geometry the error names what is missing, and `devices geometry` completes it."""
    import json

    added = cli(
        "devices", "add", "MyPen", "--kind", "pen", "--needles", "24", "--depth-min", "0.25",
        "--depth-max", "2.0", "--footprint", "7", "--frequency-min", "50", "--frequency-max",
        "100", "--json",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert json.loads(added.stdout)["footprint_mm"] == 7.0
    run = cli(
        "simulate", "--device", "MyPen", "--depth", "0.5", "--zone", "nose", "--passes", "1",
        "--json",
    )  # fmt: skip
    assert run.exit_code == 0, run.output
    assert json.loads(run.stdout)["device"] == "MyPen"
    bare = cli(
        "devices", "add", "BarePen", "--kind", "pen", "--needles", "12", "--depth-min", "0.25",
        "--depth-max", "2.0",
    )  # fmt: skip
    assert bare.exit_code == 0, bare.output
    refused = cli("simulate", "--device", "BarePen", "--depth", "0.5", "--zone", "nose")
    assert refused.exit_code == 2
    assert "lacks footprint_mm, frequency_min_hz, frequency_max_hz" in refused.stderr
    completed = cli(
        "devices", "geometry", "BarePen", "--footprint", "5", "--frequency-min", "60",
        "--frequency-max", "110",
    )  # fmt: skip
    assert completed.exit_code == 0, completed.output
    again = cli("simulate", "--device", "BarePen", "--depth", "0.5", "--zone", "nose", "--json")
    assert again.exit_code == 0, again.output
    wrong = cli("devices", "geometry", "BarePen", "--rows", "4")
    assert wrong.exit_code == 2 and "a pen has no rows" in wrong.stderr


def test_cli_compare(cli: Any) -> None:
    import json

    result = cli(
        "simulate", "--device", "Derma stamp 36", "--depth", "0.5", "--zone", "nose",
        "--passes", "1", "--compare", "depth=0.25,0.5", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    view = json.loads(result.stdout)
    assert [s["label"] for s in view["settings"]] == ["depth 0.25 mm", "depth 0.5 mm"]
    text = cli(
        "simulate", "--device", "Derma stamp 36", "--depth", "0.5", "--zone", "nose",
        "--passes", "1", "--setting", "sessions=1", "--setting", "sessions=3,interval=14",
    )  # fmt: skip
    assert text.exit_code == 0, text.output
    words = " ".join(text.stdout.split())
    assert "Difference from" in words and "not medical advice" in words
    one = cli("simulate", "--device", "Derma stamp 36", "--depth", "0.5", "--compare", "depth=1")
    assert one.exit_code == 2 and "two or more settings" in one.stderr
    bad = cli("simulate", "--device", "Derma stamp 36", "--depth", "0.5", "--compare", "speed=1,2")
    assert bad.exit_code == 2 and "cannot vary 'speed'" in bad.stderr
