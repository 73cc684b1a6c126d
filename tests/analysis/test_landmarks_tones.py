"""The landmarks of one face re-toned across the six ITA° categories, against the very light one.

The same face (the synthetic base face, ``analysis/skin_tone.py``'s melanin re-tone, the skin
only: eyes keep their colour) must give the same landmarks at every tone: the forehead zone's
lower edge is the highest brow point (``zones.zone_map``), and wrinkles planted near that edge are
cut when it moves (test_skin_tones.py, the dark forehead). Tolerances, in pixels of this 2048 px
photo (0.37 mm/px): the 1 px was set before measuring; the other two after a first measurement
showed the whole runtime moving the brow top by 1.5 px between the two lightest tones, which
are nearly the same image (the detector's own jitter), and are not tuned to pass:

    stage                                   quantity                          tolerance
    face mesh, from the very light face's   highest brow point (row)          1 px
    detection (the mesh and iris models)    every region's mean point         1 mm (2.7 px)
    the whole runtime (its own detection)   highest brow point (row)          2 px

The mesh is run on the very light face's detector crop alone (``refinements=0``: the same crop
at every tone); the whole runtime as ``detect_landmarks`` runs it: each tone's own detection,
and where the detector's keypoints lie off the face the mesh found (``keypoints_off_ipd``: 0.14-0.17
IPD on the five lighter tones, 0.40 on the dark one, against 0.25) one more mesh pass on the
crop its first mesh gives (``landmarks._landmarks_rect``).

Measured (brow top, then the worst region mean): mesh on the same crop: light -0.3 px / 0.31 mm,
intermediate -0.3 / 0.51, tan -0.4 / 0.80, brown -0.3 / 1.11 (the nose), dark +0.5 / 1.30 mm
(nose 1.30, outline 1.28, lips 1.04, brows 0.74): the mesh keeps the brows within 1 px at every
tone but moves the nose and outline by up to 1.3 mm on the dark face, so the region means hold
to 1 mm only up to tan; brown and dark are marked. The whole runtime: light +1.5,
intermediate +0.7, tan +0.5, brown -1.0, dark -0.1 px. Without the second mesh pass the dark
face was -3.3 px: the face detector puts its keypoints 0.15-0.40 IPD off the mesh's own points
on it (score 0.79 against 0.90-0.93), so its crop sat 0.033 of the face's height higher and
turned 12.9° instead of 9.8°, and the mesh on that crop put the brows higher; the crop from the
first mesh no longer depends on the detector's keypoints (test_landmarks_refinement.py).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest
from numpy.typing import NDArray

from microneedling.analysis.landmarks import (
    FaceBox,
    Landmarks,
    Pyramid,
    detect_faces,
    face_landmarks,
)
from microneedling.analysis.skin_tone import ITA_CATEGORIES, base_melanin, base_weight, retone
from microneedling.analysis.synthetic import base_face
from microneedling.analysis.zones import feature_indices

MESH_BROW_TOP_PX = 1.0
MESH_REGION_MEAN_MM = 1.0
RUNTIME_BROW_TOP_PX = 2.0
IPD_MM = 63.36  # as test_landmarks_reference.py: the scale from the face's own pupils

_MESH_REGION_MISSES = {
    "brown": "issue 8: on the brown face the mesh moves the nose's points by 1.1 mm on average, "
    "from the very light face's own crop (the same crop: the model's response to the tone)",
    "dark": "issue 8: on the dark face the mesh moves the nose by 1.3 mm, the outline by 1.3 mm "
    "and the lips by 1.0 mm on average, from the very light face's own crop (the same crop: "
    "the model's response to the tone, not the crop's); the brows stay within 1 px",
}
_RUNTIME_MISSES: dict[str, str] = {}


def _regions() -> dict[str, list[int]]:
    f = feature_indices()
    return {
        "brows": list(f["brows"]),
        "eyes": list(f["left_eye"] + f["right_eye"]),
        "outline": list(f["oval"]),
        "lips": list(f["lips"]),
        "nose": list(f["nose"]),
        "iris": list(range(468, 478)),
    }


@cache
def _toned(name: str) -> Pyramid:
    rgb, _, _ = base_face()
    target = next(c.target for c in ITA_CATEGORIES if c.name == name)
    return Pyramid(retone(rgb, base_weight(), melanin=base_melanin(float(target))))


@cache
def _detection(name: str) -> FaceBox:
    faces = detect_faces(_toned(name))
    assert len(faces) == 1, f"{name}: {len(faces)} faces"
    return faces[0]


@cache
def _landmarks(name: str, box_of: str) -> Landmarks:
    """The tone's landmarks from the mesh alone on the crop of the ``box_of`` tone's detection."""
    return face_landmarks(_toned(name), _detection(box_of), refinements=0)[0]


@cache
def _runtime(name: str) -> Landmarks:
    """The tone's landmarks as the analysis finds them: its own detection, the crop refined."""
    return face_landmarks(_toned(name), _detection(name))[0]


def _brow_top(landmarks: Landmarks) -> float:
    return float(landmarks.xy[_regions()["brows"], 1].min())


def _shift_px(landmarks: Landmarks, reference: Landmarks) -> NDArray[np.float64]:
    return np.asarray(np.linalg.norm(landmarks.xy - reference.xy, axis=1), dtype=np.float64)


def _cases(misses: dict[str, str]) -> list[object]:
    return [
        pytest.param(
            c.name,
            marks=[pytest.mark.xfail(strict=True, reason=misses[c.name])]
            if c.name in misses
            else [],
            id=c.name.replace(" ", "_"),
        )
        for c in ITA_CATEGORIES[1:]
    ]


def test_the_tones_run_from_very_light_to_dark() -> None:
    assert ITA_CATEGORIES[0].name == "very light"
    assert ITA_CATEGORIES[-1].name == "dark"


@pytest.mark.parametrize("name", [c.name for c in ITA_CATEGORIES])
def test_the_face_is_found_at_every_tone(name: str) -> None:
    assert _detection(name).score >= 0.5


@pytest.mark.parametrize("name", [c.name for c in ITA_CATEGORIES[1:]])
def test_the_mesh_keeps_the_brows_at_every_tone(name: str) -> None:
    """From the same face crop, the highest brow point (the forehead's lower edge) stays."""
    reference = _landmarks("very light", "very light")
    shift = _brow_top(_landmarks(name, "very light")) - _brow_top(reference)
    assert abs(shift) <= MESH_BROW_TOP_PX, f"{name}: brow top moved {shift:+.2f} px"


@pytest.mark.parametrize("name", _cases(_MESH_REGION_MISSES))
def test_the_mesh_keeps_every_region_at_every_tone(name: str) -> None:
    reference = _landmarks("very light", "very light")
    landmarks = _landmarks(name, "very light")
    mm_per_px = IPD_MM / reference.interpupillary_px
    shifts = _shift_px(landmarks, reference) * mm_per_px
    means = {region: float(shifts[idx].mean()) for region, idx in _regions().items()}
    worst = max(means, key=means.__getitem__)
    assert means[worst] <= MESH_REGION_MEAN_MM, (
        f"{name}: {worst} moved {means[worst]:.2f} mm on average "
        f"({', '.join(f'{r} {m:.2f}' for r, m in means.items())})"
    )


@pytest.mark.parametrize("name", _cases(_RUNTIME_MISSES))
def test_the_runtime_keeps_the_brows_at_every_tone(name: str) -> None:
    """Detector and mesh together, each tone from its own detection."""
    shift = _brow_top(_runtime(name)) - _brow_top(_runtime("very light"))
    assert abs(shift) <= RUNTIME_BROW_TOP_PX, f"{name}: brow top moved {shift:+.2f} px"
