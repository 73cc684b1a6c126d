"""The face crop refined from the mesh: the landmarks no longer follow where the detector's box is.

``face_landmarks`` runs the mesh on the detector's crop and, where the detector's keypoints lie
more than ``MAX_KEYPOINT_OFF_IPD`` from the mesh's own, once more on the crop its own points give
(``landmarks._landmarks_rect``). The refinement is checked (forced, ``max_off_ipd=0``) on the
2048 px base face (0.37 mm/px) by moving the detector's box and keypoints 10% of the box's width
(diagonally) and turning them 5°, each of the four ways: tolerances set before measuring, in mm
on the face (scale from the pupils, 63.36 mm):

    quantity                                             tolerance
    mean point, refined, against the unmoved box's       1 mm
    highest brow point (the forehead zone's edge)        2 px (as test_landmarks_tones.py's runtime)
    mean point, refined, against the unrefined mesh's    smaller (the refinement pulls back)

Measured (mean / worst point, px): unrefined 2.1-5.1 / 4.7-18.2, one refinement 0.7-2.6 /
1.8-5.9 (0.27-0.96 mm; brow top +1.4, +2.3, -0.7, +0.5 px: the second case is marked), two
0.4-1.4 / 0.7-3.7, three 0.2-0.5 / 0.3-1.7. Each pass moves the points less than the one before
(base face from the detector's crop: 1.9, then 1.4 px mean), so they settle, but not to 0.2 px
in one pass. More passes cost a mesh pass each (about 9 ms on this photo) and, once settled, the
plain mesh's outline moves outside test_landmarks_reference.py's worst-point tolerance (4.55 mm
against 4.5 on two of nine photos after two passes, 4.50-4.68 on five after three), so one pass
is run. MediaPipe's own tracking crop (1.5x the points' box, no shift) fails that reference on
five of nine photos after one pass (brows up to 3.40 / 4.82 mm, outline up to 3.32 / 5.63 mm),
hence the detector-sized crop (``LANDMARK_ROI_SCALE``, ``LANDMARK_ROI_SHIFT``).
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pytest

from microneedling.analysis.landmarks import (
    MAX_KEYPOINT_OFF_IPD,
    FaceBox,
    Landmarks,
    Pyramid,
    _face_rect,
    _mesh,
    detect_faces,
    face_landmarks,
    keypoints_off_ipd,
)
from microneedling.analysis.synthetic import base_face
from microneedling.analysis.zones import feature_indices

IPD_MM = 63.36
MEAN_MM = 1.0
BROW_TOP_PX = 2.0
_ONE_PASS_MISS = pytest.mark.xfail(
    strict=True,
    reason="issue 8: moved +10% and turned -5°, one refinement leaves the brow top 2.31 px off "
    "(mean point 1.92 px, 0.71 mm; unrefined 3.00 px): the second pass's crop still differs by "
    "about a pass's settling step (1.4 px mean); more passes settle it but move the outline "
    "outside the reference's worst-point tolerance (module docstring)",
)
PERTURBATIONS = [  # (shift, degrees)
    pytest.param(0.1, 5.0, id="+10%+5deg"),
    pytest.param(0.1, -5.0, id="+10%-5deg", marks=[_ONE_PASS_MISS]),
    pytest.param(-0.1, 5.0, id="-10%+5deg"),
    pytest.param(-0.1, -5.0, id="-10%-5deg"),
]


@cache
def _face() -> tuple[Pyramid, FaceBox]:
    pyramid = Pyramid(base_face()[0])
    faces = detect_faces(pyramid)
    assert len(faces) == 1
    return pyramid, faces[0]


def _moved(face: FaceBox, shift: float, degrees: float) -> FaceBox:
    """The box and keypoints moved ``shift`` of the box's width along both axes, turned about the
    box's centre by ``degrees``."""
    centre = np.array(face.centre)
    offset = shift * face.width / math.sqrt(2) * np.ones(2)
    a = math.radians(degrees)
    turn = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    keypoints = (face.keypoints - centre) @ turn.T + centre + offset
    moved = centre + offset
    return FaceBox(
        (float(moved[0]), float(moved[1])), face.width, face.height, keypoints, face.score
    )


def _brow_top(landmarks: Landmarks) -> float:
    return float(landmarks.xy[list(feature_indices()["brows"]), 1].min())


@pytest.mark.parametrize(("shift", "degrees"), PERTURBATIONS)
def test_refined_landmarks_do_not_follow_a_moved_box(shift: float, degrees: float) -> None:
    pyramid, face = _face()
    reference, _ = face_landmarks(pyramid, face, max_off_ipd=0.0)
    mm_per_px = IPD_MM / reference.interpupillary_px
    moved = _moved(face, shift, degrees)
    refined, presence = face_landmarks(pyramid, moved, max_off_ipd=0.0)
    unrefined, _ = face_landmarks(pyramid, moved, refinements=0)
    refined_px = float(np.linalg.norm(refined.xy - reference.xy, axis=1).mean())
    unrefined_px = float(np.linalg.norm(unrefined.xy - reference.xy, axis=1).mean())
    brow_px = _brow_top(refined) - _brow_top(reference)
    print(
        f"shift {shift:+.0%}, turn {degrees:+.0f}°: mean {refined_px:.2f} px refined, "
        f"{unrefined_px:.2f} px not; brow top {brow_px:+.2f} px"
    )
    assert presence > 0.9
    assert refined_px * mm_per_px <= MEAN_MM
    assert abs(brow_px) <= BROW_TOP_PX
    assert refined_px < unrefined_px


def test_each_refinement_moves_the_points_less() -> None:
    """From the detector's crop, a first and a second refinement: the second moves less."""
    pyramid, face = _face()
    passes = [face_landmarks(pyramid, face, n, max_off_ipd=0.0)[0] for n in (0, 1, 2)]
    first = float(np.linalg.norm(passes[1].xy - passes[0].xy, axis=1).mean())
    second = float(np.linalg.norm(passes[2].xy - passes[1].xy, axis=1).mean())
    print(f"mean move: first refinement {first:.2f} px, second {second:.2f} px")
    assert second < first


def test_a_crop_without_a_face_is_not_refined() -> None:
    """A box on the background: the mesh's presence stays low and the crop is not chased."""
    pyramid, face = _face()
    away = FaceBox(
        (150.0, 1900.0),
        face.width / 3,
        face.height / 3,
        face.keypoints * 0 + [150.0, 1900.0],
        face.score,
    )
    _, presence = face_landmarks(pyramid, away, max_off_ipd=0.0)
    _, presence_unrefined = face_landmarks(pyramid, away, refinements=0)
    assert presence == presence_unrefined < 0.5


def test_a_well_placed_box_keeps_its_crop() -> None:
    """The detector's keypoints lie 0.15 IPD from the mesh's own on the base face: no refinement,
    the points are the static-image pipeline's."""
    pyramid, face = _face()
    mesh, _ = _mesh(pyramid, _face_rect(face))
    assert keypoints_off_ipd(face, mesh) < MAX_KEYPOINT_OFF_IPD
    found, _ = face_landmarks(pyramid, face)
    assert np.array_equal(found.points, face_landmarks(pyramid, face, refinements=0)[0].points)


def test_a_misplaced_box_is_refined() -> None:
    """Moved 10% and turned 5°, the box's keypoints lie off the face the mesh finds: refined."""
    pyramid, face = _face()
    moved = _moved(face, 0.1, 5.0)
    mesh, _ = _mesh(pyramid, _face_rect(moved))
    off = keypoints_off_ipd(moved, mesh)
    print(f"keypoints {off:.2f} IPD off the mesh's")
    assert off > MAX_KEYPOINT_OFF_IPD
    found, _ = face_landmarks(pyramid, moved)
    forced, _ = face_landmarks(pyramid, moved, max_off_ipd=0.0)
    assert np.array_equal(found.points, forced.points)
