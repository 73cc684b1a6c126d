"""The fringe over the forehead (analysis/skin_mask.py) on a drawn face of known layout: a fringe
covering most of the forehead, in a colour near the skin's (dark hair on dark skin), is taken
out when the skin's class comes from the face's skin off the forehead, and a dark wrinkle just
below the fringe stays skin (issue 8: on the dark tone the fringe's strands counted as lines).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from microneedling.analysis import skin_mask

MM_PER_PX = 0.25
SKIN = (33.0, 5.0, 18.0)  # CIELAB of dark skin
HAIR = (22.0, 4.0, 17.0)  # dark hair: 11 ΔE from the skin


def drawn_face() -> tuple[NDArray[np.float32], dict[str, NDArray[np.bool_]]]:
    """A 160 x 120 px face: hair over rows 0-19, a forehead zone (rows 20-89) whose upper 55
    rows are fringe, a dark line (6 L*, 0.6 mm) 1.5 mm below the fringe, mid-face skin below."""
    rng = np.random.default_rng(8)
    height, width = 160, 120
    lab = np.empty((height, width, 3), np.float32)
    lab[:] = SKIN
    rows = np.arange(height)[:, None]
    cols = np.arange(width)[None, :]
    # the fringe's edge wavers by a few pixels, as strands do
    edge = 75 + np.round(3 * np.sin(cols / 7.0)).astype(int)
    hair = rows < edge
    lab[np.broadcast_to(hair, (height, width))] = HAIR
    lab += rng.normal(0, 1.0, lab.shape).astype(np.float32)  # texture
    line_row = 75 + 3 + round(1.5 / MM_PER_PX)
    line = np.exp(-((rows - line_row) ** 2) / (2 * (0.3 / MM_PER_PX) ** 2)) * (
        (cols > 20) & (cols < 100)
    )
    lab[..., 0] -= (6.0 * line).astype(np.float32)
    forehead = (rows >= 20) & (rows < 90) & (cols >= 5) & (cols < 115)
    skin = ((rows >= 20) & (cols >= 5) & (cols < 115)) & ~(hair & (rows < 20))
    masks = {
        "forehead": np.broadcast_to(forehead, (height, width)).copy(),
        "skin": np.broadcast_to(skin, (height, width)).copy(),
        "fringe": np.broadcast_to(forehead & hair, (height, width)).copy(),
        "line": np.broadcast_to(forehead & (line > 0.5), (height, width)).copy(),
    }
    return lab, masks


def test_fringe_over_most_of_the_forehead_is_taken_out() -> None:
    lab, m = drawn_face()
    mid_face = m["skin"] & ~m["forehead"]
    found = skin_mask.forehead_hair(
        lab,
        m["skin"],
        m["forehead"],
        MM_PER_PX,
        skin_reference=mid_face,
    )
    fringe, bare = m["fringe"], m["forehead"] & ~m["fringe"]
    assert found[fringe].mean() > 0.9
    assert found[bare].mean() < 0.05
    assert not found[m["line"]].any()  # the wrinkle below the fringe stays skin


def test_without_a_clean_skin_reference_the_same_fringe_is_missed() -> None:
    # the forehead's far half is mostly fringe: its colour drifts to the hair's and the two
    # references fall under MIN_SEPARATION_DELTA_E apart (what the analysis did before)
    lab, m = drawn_face()
    found = skin_mask.forehead_hair(lab, m["skin"], m["forehead"], MM_PER_PX)
    assert found[m["fringe"]].mean() < 0.5
