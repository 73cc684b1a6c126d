"""The face diagram: zones from the outline data, coloured on one scale, accessible, escaped."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from microneedling.core.errors import ValidationError
from microneedling.core.vocabulary import display
from microneedling.core.zones import FacialZone
from microneedling.reports.face_diagram import (
    EMPTY_FILL,
    ZoneValue,
    face_diagram_svg,
    label_points,
    plan_diagram,
    scale_colour,
    session_diagram,
    text_colour,
)
from microneedling.simulate.geometry import zone_outlines

NS = {"svg": "http://www.w3.org/2000/svg"}


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def zone_group(root: ET.Element, zone: str, prefix: str = "zone-") -> ET.Element:
    found = root.find(f".//svg:g[@id='{prefix}{zone}']", NS)
    assert found is not None, zone
    return found


def fill_of(group: ET.Element) -> str:
    path = group.find("svg:path", NS)
    assert path is not None
    return path.attrib["fill"]


def test_every_zone_is_a_focusable_labelled_button() -> None:
    root = parse(face_diagram_svg({}, title="Plan"))
    for zone in FacialZone:
        group = zone_group(root, zone.value)
        assert group.attrib["tabindex"] == "0"
        assert group.attrib["role"] == "button"
        assert group.attrib["data-zone"] == zone.value
        assert group.attrib["aria-label"].startswith(display("zone", zone))
        assert zone.value not in group.attrib["aria-label"]  # the name, not the key


def test_outlines_come_from_the_zone_data() -> None:
    root = parse(face_diagram_svg({}, title="Plan"))
    path = zone_group(root, "cheek_left").find("svg:path", NS)
    assert path is not None
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path.attrib["d"])]
    xs, ys = numbers[0::2], numbers[1::2]
    xmin, ymin, xmax, ymax = zone_outlines()[FacialZone.CHEEK_LEFT].bounds
    # SVG y points down: y_svg = -y_mm
    assert (min(xs), max(xs), min(ys), max(ys)) == (xmin, xmax, -ymax, -ymin)
    jaw = zone_group(root, "jawline").find("svg:path", NS)
    assert jaw is not None and jaw.attrib["d"].count("M ") == 2  # both sides


def test_patients_left_is_on_the_viewers_right() -> None:
    root = parse(face_diagram_svg({}, title="Plan"))

    def mean_x(zone: str) -> float:
        path = zone_group(root, zone).find("svg:path", NS)
        assert path is not None
        numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", path.attrib["d"])]
        return sum(numbers[0::2]) / len(numbers[0::2])

    assert mean_x("cheek_left") > 0 > mean_x("cheek_right")
    marks = [
        t
        for t in root.iter("{http://www.w3.org/2000/svg}text")
        if "side-mark" in t.get("class", "")
    ]
    text = {"".join(m.itertext()): float(m.attrib["x"]) for m in marks}
    assert text["Patient'sleft"] > 0 > text["Patient'sright"]


def test_colour_follows_depth_on_one_fixed_scale() -> None:
    root = parse(face_diagram_svg({"forehead": 0.25, "chin": 2.0, "nose": None}, title="Plan"))
    shallow, deep = fill_of(zone_group(root, "forehead")), fill_of(zone_group(root, "chin"))
    assert shallow != deep
    brightness = [sum(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in (shallow, deep)]
    assert brightness[0] > brightness[1]  # deeper is darker
    assert fill_of(zone_group(root, "nose")) == EMPTY_FILL
    assert fill_of(zone_group(root, "glabella")) == EMPTY_FILL  # left out: none
    # the same depth is the same colour on another diagram
    other = parse(face_diagram_svg({"chin": 2.0}, title="Other"))
    assert fill_of(zone_group(other, "chin")) == deep
    assert scale_colour(5.0, 2.0) == scale_colour(2.0, 2.0)  # beyond the scale: darkest


def test_labels_stay_readable_and_inside_their_zone() -> None:
    assert text_colour(scale_colour(0, 2)) == "#000000"
    assert text_colour(scale_colour(2, 2)) == "#ffffff"
    for zone in FacialZone:
        outline = zone_outlines()[zone]
        for x, y in label_points(zone):
            assert outline.contains(np.array([[x, -y]]))[0], zone


def test_legend_and_selected_zone() -> None:
    svg = face_diagram_svg({"chin": 1.0}, title="Plan", selected="chin")
    root = parse(svg)
    assert zone_group(root, "chin").attrib["aria-pressed"] == "true"
    assert zone_group(root, "nose").attrib["aria-pressed"] == "false"
    texts = ["".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "Planned depth (mm)" in texts
    assert {"0", "0.5", "1", "1.5", "2"} <= set(texts)
    assert "none" in texts


def test_every_text_is_escaped() -> None:
    hostile = '<script>alert(1)</script>" onload="x'
    svg = face_diagram_svg(
        {"chin": ZoneValue(1.0, hostile)}, title=hostile, value_label=hostile, unit="&"
    )
    root = parse(svg)  # well-formed despite the markup
    assert "<script>" not in svg
    assert root.find(".//svg:script", NS) is None
    assert hostile in zone_group(root, "chin").attrib["aria-label"]


def test_refuses_unknown_zones_and_non_numbers() -> None:
    with pytest.raises(ValidationError, match="unknown zone"):
        face_diagram_svg({"elbow": 1.0}, title="Plan")
    with pytest.raises(ValidationError, match="not a number"):
        face_diagram_svg({"chin": float("nan")}, title="Plan")
    with pytest.raises(ValidationError, match="scale_max"):
        face_diagram_svg({}, title="Plan", scale_max=0)


def test_plan_and_session_views() -> None:
    plan = {"id": 3, "zones": [{"zone": "cheek_left", "depth_mm": 1.0}]}
    root = parse(plan_diagram(plan))
    assert zone_group(root, "cheek_left", "plan-zone-").attrib["data-value"] == "1.0"
    session = {
        "id": 9,
        "zone_treatments": [
            {
                "zone": "cheek_left",
                "depth_mm": 0.75,
                "passes": 3,
                "pattern": "crosshatch",
                "endpoint": "uniform_erythema",
            }
        ],
    }
    root = parse(session_diagram(session))
    label = zone_group(root, "cheek_left", "session-zone-").attrib["aria-label"]
    assert label == "Left cheek: 0.75 mm, 3 passes, Cross-hatch, Even redness"
    assert zone_group(root, "chin", "session-zone-").attrib["aria-label"] == "Chin: none"
