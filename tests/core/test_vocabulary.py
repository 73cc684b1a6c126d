"""The vocabulary names every key the data files and the analysis use, and the CLI tables show
names, never keys."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources
from typing import Any

import pytest

from microneedling.analysis.compare import NOT_COMPARABLE
from microneedling.analysis.pipeline import METRIC_NAMES
from microneedling.core import vocabulary
from microneedling.core.anatomy import Layer
from microneedling.core.clinical import ClinicalEndpoint, Indication, Pattern, Phase
from microneedling.core.data import read_data, sources
from microneedling.core.vocabulary import display, has_name, in_words, metric_label
from microneedling.core.zones import FacialZone

VERDICTS = ("real change", "within noise", "no noise estimate", NOT_COMPARABLE)


def cited_sources() -> set[str]:
    """Every ``source:`` key cited anywhere in the bundled data files."""
    cited: set[str] = set()

    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "source" and isinstance(value, str):
                    yield value
                else:
                    yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    for entry in resources.files("microneedling.data").iterdir():
        if entry.name.endswith(".yaml") and entry.name != "vocabulary.yaml":
            cited.update(k.strip() for s in walk(read_data(entry.name)) for k in s.split(","))
    return cited


def test_every_key_in_the_data_has_a_display_name() -> None:
    zones = set(read_data("zones.yaml")["zones"]) | set(read_data("zone_geometry.yaml")["zones"])
    zones |= {z.value for z in FacialZone}
    indications = set(read_data("depths.yaml")["indications"])
    indications |= set(read_data("schedules.yaml")["indications"]) | {i.value for i in Indication}
    wanted = {
        "zone": zones,
        "zone_short": zones,
        "metric": set(METRIC_NAMES),
        "indication": indications,
        "verdict": set(VERDICTS),
        "source": set(sources()) | cited_sources(),
        "pattern": {p.value for p in Pattern},
        "endpoint": {e.value for e in ClinicalEndpoint},
        "phase": {p.value for p in Phase},
        "layer": {layer.value for layer in Layer},
    }
    missing = {
        kind: sorted(k for k in keys if not has_name(kind, k)) for kind, keys in wanted.items()
    }
    assert {kind: keys for kind, keys in missing.items() if keys} == {}


def test_every_metric_has_a_unit_entry_and_names_are_words() -> None:
    for name in METRIC_NAMES:
        entry = vocabulary.vocabulary()["metric"][name]
        assert set(entry) == {"name", "unit"}, name
    for kind, entries in vocabulary.vocabulary().items():
        for key in entries:
            shown = display(kind, key)
            assert shown and "_" not in shown, (kind, key, shown)


def test_display_names() -> None:
    assert display("zone", "cheek_left") == "Left cheek"
    assert display("zone", FacialZone.CHEEK_RIGHT) == "Right cheek"
    assert display("verdict", "within noise") == "within measurement noise"
    assert display("answer", True) == "yes"
    assert metric_label("roughness_l") == "Roughness (L* SD)"
    assert metric_label("scar_count") == "Scars"
    assert display("source", "drpen_chart") == "Dr. Pen needle depth guide"
    assert display("zone", "old_zone") == "old zone"  # old stored data: readable, not raw
    with pytest.raises(ValueError, match="unknown vocabulary kind"):
        display("colour", "red")


def test_keys_inside_stored_text_are_named() -> None:
    text = "range 1–1 mm for acne_scars (drpen_chart); cheek_left reaches papillary_dermis"
    assert in_words(text) == (
        "range 1–1 mm for Acne scars (Dr. Pen needle depth guide); Left cheek reaches "
        "papillary dermis"
    )
    assert in_words("forehead and nose, not drpen_chartx") == "forehead and nose, not drpen_chartx"


INTERNAL_KEYS = re.compile(
    "|".join(
        rf"\b{re.escape(k)}\b"
        for k in sorted(
            {z.value for z in FacialZone if "_" in z.value}
            | set(METRIC_NAMES)
            | {k for k in sources() if "_" in k or any(c.isdigit() for c in k)}
            | {i.value for i in Indication if "_" in i.value}
            | {"real?", "within noise", "uniform_erythema", "papillary_dermis", "post_treatment"}
        )
    )
)


def assert_no_internal_key(text: str) -> None:
    found = sorted(set(INTERNAL_KEYS.findall(text)))
    assert found == [], f"internal keys shown to a person: {found}\n{text}"


@pytest.fixture
def wide_console(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The CLI's console, wide enough that no cell is cut short (a cut could hide a key)."""
    from microneedling.cli import output

    monkeypatch.setattr(output.console, "width", 400)
    return output.console


def test_photo_tables_show_names_not_keys(wide_console: Any) -> None:
    from microneedling.cli.photos import render_analysis, render_comparison, render_trend

    zone_rows = [
        {"zone": z.value, "area_cm2": 10.0, "ita_spread_deg": 4.0} | {m: 1.0 for m in METRIC_NAMES}
        for z in FacialZone
    ]
    summary = {
        "zones": zone_rows,
        "mm_per_px": 0.1,
        "scale_source": "given",
        "white_balance": {"method": "eye whites (sclera)"},
        "quality": {"ok": True, "checks": []},
    }
    changes = [
        {"zone": z.value, "metric": m, "before": 1.0, "after": 2.0, "change": 1.0}
        | {"noise": 0.5, "beyond_noise": True, "verdict": verdict}
        for z in FacialZone
        for m in METRIC_NAMES
        for verdict in VERDICTS
    ]
    comparison = {
        "alignment": {"scale": 1.0, "rotation_deg": 0.0, "shift_px": [0, 0]},
        "changes": changes,
        "noise_rule": "a change is real beyond 2 SD",
        "comparable": {"ok": True, "reasons": [], "colour_reasons": [], "overridden": False},
    }
    point = {"taken_on": "2026-01-05", "day": 0, "quality_ok": True}
    trend = {
        "points": [point | {"white_balance_fallback": False, "zones": zone_rows}],
    }
    with wide_console.capture() as captured:
        render_analysis("photo.png", summary)
        render_comparison(comparison, "a.png", "b.png", show_all=True)
        render_trend("P1", trend)
    text = captured.get()
    assert_no_internal_key(text)
    assert "Left cheek" in text and "Roughness (L* SD)" in text
    assert "within measurement noise" in text


def test_simulate_tables_show_names_not_keys(wide_console: Any) -> None:
    from microneedling.cli.simulate import render_explanation
    from microneedling.services.simulation import explain_model

    with wide_console.capture() as captured:
        render_explanation(explain_model())
    assert_no_internal_key(captured.get())
