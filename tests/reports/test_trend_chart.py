"""The trend chart: points in day order, labelled axes, escaped text, no point drawn as none."""

import xml.etree.ElementTree as ET

from microneedling.reports.trend_chart import line_chart_svg

SVG = "{http://www.w3.org/2000/svg}"


def test_points_in_day_order_with_their_labels() -> None:
    svg = line_chart_svg(
        [(84.0, 2.0, "2026-03-30"), (0.0, 5.0, "2026-01-05"), (7.0, float("nan"), "x")],
        title="Redness <a*>",
        unit="",
    )
    root = ET.fromstring(svg)
    circles = root.findall(f"{SVG}circle")
    assert [c.findtext(f"{SVG}title") for c in circles] == ["2026-01-05: 5", "2026-03-30: 2"]
    assert float(circles[0].attrib["cy"]) < float(circles[1].attrib["cy"])  # 5 drawn above 2
    assert float(circles[0].attrib["cx"]) < float(circles[1].attrib["cx"])
    assert root.attrib["aria-label"] == "Redness <a*>" and "<a*>" not in svg
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert {"day 0", "day 84", "5", "2"} <= set(texts)


def test_no_values() -> None:
    root = ET.fromstring(line_chart_svg([], title="Pores", unit="per cm²"))
    assert "no values yet" in "".join(root.itertext())
    assert root.attrib["aria-label"] == "Pores (per cm²)"
