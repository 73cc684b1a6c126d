"""The LiteRT landmark runtime against mediapipe 0.10.21's own output, stored before the pin went.

``data/mediapipe_0.10.21_reference.npz`` holds the 478 points that ``mediapipe==0.10.21``
(``FaceMesh(static_image_mode=True, refine_landmarks=True)``, which runs the attention model) gave
for the images below; ``data/record_mediapipe_reference.py`` made it. Our runtime runs the plain
468-point model plus the iris model, a different network for the mesh, so it is not bit-identical.

Tolerances, per region, in mm on the face (scale from the reference's own inter-pupillary distance,
taken as 63.36 mm), mean over the region's points / worst point. The first guesses (1.0 mm eyes and
iris, 1.5 mm elsewhere, 3.5 mm outline) held for eyes and iris; on brows, nose and lips the plain
mesh sits 1.3-2.5 mm from the attention mesh on the first run, so those are set at about 1.3x the
worst measured mean. A broken runtime (a wrong anchor, an unmirrored eye, a crop off by a turn)
moves points by 10 mm or more (the unmirrored iris contour was 12 mm off), far outside all of them.

region   | mean  | worst point | measured mean (6 images)
iris     | 1.0   | 1.5         | 0.2-0.8
eyes     | 1.0   | 2.5         | 0.5-0.8
brows    | 3.0   | 4.5         | 1.5-2.5
nose     | 2.5   | 3.5         | 0.6-1.9
lips     | 2.0   | 4.5         | 1.3-1.5
outline  | 2.5   | 4.5         | 1.4-1.9 (the plain model's chin sits ~3 mm higher)
IPD      | within 1%                | -0.33% to +0.44%
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import cv2
import numpy as np
import pytest
from numpy.typing import NDArray
from skimage import data

from microneedling.analysis.landmarks import (
    LEFT_IRIS,
    RIGHT_IRIS,
    Landmarks,
    detect_faces,
    face_landmarks,
    head_pose,
)
from microneedling.analysis.mesh_topology import FEATURES
from microneedling.analysis.synthetic import SAMPLE_SERIES, make_photo

REFERENCE = Path(__file__).with_name("data") / "mediapipe_0.10.21_reference.npz"
IPD_MM = 63.36
TOLERANCE_MM = {  # region: (mean, worst point)
    "iris": (1.0, 1.5),
    "eyes": (1.0, 2.5),
    "brows": (3.0, 4.5),
    "nose": (2.5, 3.5),
    "lips": (2.0, 4.5),
    "outline": (2.5, 4.5),
}
IPD_TOLERANCE = 0.01


def _rotated(
    rgb: NDArray[np.uint8], degrees: float, centre: tuple[float, float]
) -> NDArray[np.uint8]:
    matrix = cv2.getRotationMatrix2D(centre, degrees, 1.0)
    height, width = rgb.shape[:2]
    return cv2.warpAffine(rgb, matrix, (width, height), borderMode=cv2.BORDER_REFLECT)


@cache
def reference_images() -> dict[str, NDArray[np.uint8]]:
    """The images the reference was recorded on, rebuilt without any landmark code.

    The astronaut as shipped (512 px), the project's 4x base face (2048 px), a portrait crop of it
    (non-square input), a half-size copy, and copies rolled 12 degrees either way.
    """
    small = data.astronaut()
    base = cv2.resize(small, (2048, 2048), interpolation=cv2.INTER_CUBIC)
    return {
        "astronaut": small,
        "base": base,
        "base_portrait": np.ascontiguousarray(base[0:1600, 400:1600]),
        "base_half": cv2.resize(base, (1024, 1024), interpolation=cv2.INTER_AREA),
        "base_roll_plus12": _rotated(base, 12.0, (1000.0, 600.0)),
        "base_roll_minus12": _rotated(base, -12.0, (1000.0, 600.0)),
    }


def region_indices() -> dict[str, list[int]]:
    f = FEATURES
    return {
        "iris": [RIGHT_IRIS, LEFT_IRIS],
        "eyes": [*f["left_eye"], *f["right_eye"]],
        "brows": [*f["left_brow"], *f["right_brow"]],
        "nose": list(f["nose"]),
        "lips": list(f["lips"]),
        "outline": list(f["oval"]),
    }


@pytest.fixture(scope="module")
def reference() -> dict[str, NDArray[np.float64]]:
    with np.load(REFERENCE) as stored:
        assert str(stored["mediapipe_version"]) == "0.10.21"
        return {
            name: stored[name].astype(np.float64)
            for name in stored.files
            if name != "mediapipe_version"
        }


def _ours(rgb: NDArray[np.uint8]) -> Landmarks:
    """Our 478 points, without the size check (the 512 px astronaut is below the product's)."""
    faces = detect_faces(rgb)
    assert len(faces) == 1
    landmarks, presence = face_landmarks(rgb, faces[0])
    assert presence > 0.9
    return landmarks


def _compare(name: str, ours: Landmarks, ref: NDArray[np.float64]) -> list[str]:
    ref_ipd = float(np.linalg.norm(ref[LEFT_IRIS, :2] - ref[RIGHT_IRIS, :2]))
    mm_per_px = IPD_MM / ref_ipd
    error_mm = np.linalg.norm(ours.xy - ref[:, :2], axis=1) * mm_per_px
    failures = []
    row = [name]
    for region, indices in region_indices().items():
        mean, worst = float(error_mm[indices].mean()), float(error_mm[indices].max())
        row.append(f"{region} {mean:.2f}/{worst:.2f}")
        mean_tol, worst_tol = TOLERANCE_MM[region]
        if mean > mean_tol or worst > worst_tol:
            failures.append(f"{name} {region}: {mean:.2f}/{worst:.2f} mm > {mean_tol}/{worst_tol}")
    ipd_error = ours.interpupillary_px / ref_ipd - 1
    row.append(f"IPD {100 * ipd_error:+.2f}%")
    if abs(ipd_error) > IPD_TOLERANCE:
        failures.append(f"{name} IPD {100 * ipd_error:+.2f}%")
    print(" ".join(row))
    return failures


@pytest.mark.parametrize(
    "name",
    ["astronaut", "base", "base_portrait", "base_half", "base_roll_plus12", "base_roll_minus12"],
)
def test_landmarks_match_mediapipe_per_region(
    name: str, reference: dict[str, NDArray[np.float64]]
) -> None:
    image = reference_images()[name]
    assert tuple(reference[f"{name}_shape"]) == image.shape[:2]
    assert _compare(name, _ours(image), reference[name]) == []


def test_sample_photos_match_mediapipe(reference: dict[str, NDArray[np.float64]]) -> None:
    """The bundled sample photos, rebuilt: their planted features now sit where this runtime puts
    the zones (a few px from where mediapipe put them), so the same tolerances, not tighter ones."""
    failures = []
    for name, plan in SAMPLE_SERIES:
        key = f"sample-{name}"
        failures += _compare(key, _ours(make_photo(plan).rgb), reference[key])
    assert failures == []


def test_rolled_face_keeps_its_roll(reference: dict[str, NDArray[np.float64]]) -> None:
    """Rolling the photo 12 degrees each way turns the landmarks with it (the rotated crop)."""
    images = reference_images()
    upright = head_pose(_ours(images["base"])).roll
    for name, degrees in (("base_roll_plus12", 12.0), ("base_roll_minus12", -12.0)):
        roll = head_pose(_ours(images[name])).roll
        # cv2 turns counter-clockwise for positive angles; our roll is clockwise on screen
        assert roll - upright == pytest.approx(-degrees, abs=1.0)
