"""Facial landmarks from MediaPipe Face Mesh (478 points, bundled with mediapipe 0.10.21).

The model files ship inside the mediapipe wheel, so nothing is downloaded at run time. Points are
returned in image pixels; z is in the same scale as x (MediaPipe's convention).
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from microneedling.core.errors import ValidationError

os.environ.setdefault("GLOG_minloglevel", "2")  # keep MediaPipe's C++ logging quiet
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

MODEL = "mediapipe-0.10.21-face-mesh"
RIGHT_IRIS, LEFT_IRIS = 468, 473  # the subject's right iris appears on the image's left
FOREHEAD_TOP, NOSE_TIP, CHIN = 10, 1, 152
RIGHT_EYE_OUTER, LEFT_EYE_OUTER = 33, 263
MAX_DETECTION_SIDE = 1280
_LOCK = threading.Lock()


@dataclass(frozen=True)
class Landmarks:
    """478 face-mesh points (x, y, z) in pixels of the analysed image."""

    points: NDArray[np.float64]

    @property
    def xy(self) -> NDArray[np.float64]:
        return self.points[:, :2]

    @property
    def interpupillary_px(self) -> float:
        return float(np.linalg.norm(self.xy[LEFT_IRIS] - self.xy[RIGHT_IRIS]))

    def face_width_px(self) -> float:
        return float(np.ptp(self.xy[:468, 0]))

    def transformed(self, matrix: NDArray[np.float64]) -> Landmarks:
        """Apply a 3x3 homogeneous 2-D transform to x, y (z scaled alike)."""
        xy1 = np.column_stack([self.xy, np.ones(len(self.xy))]) @ matrix.T
        scale = math.sqrt(abs(np.linalg.det(matrix[:2, :2])))
        return Landmarks(np.column_stack([xy1[:, :2], self.points[:, 2] * scale]))


@dataclass(frozen=True)
class HeadPose:
    """Degrees: yaw > 0 turned to the subject's left, pitch > 0 chin up, roll > 0 clockwise."""

    yaw: float
    pitch: float
    roll: float


def head_pose(landmarks: Landmarks) -> HeadPose:
    """Pose from the 3-D mesh: the eye-corner line gives yaw and roll, forehead-chin pitch."""
    p = landmarks.points
    across = p[LEFT_EYE_OUTER] - p[RIGHT_EYE_OUTER]
    down = p[CHIN] - p[FOREHEAD_TOP]
    roll = math.degrees(math.atan2(across[1], across[0]))
    yaw = math.degrees(math.atan2(across[2], math.hypot(across[0], across[1])))
    pitch = math.degrees(math.atan2(-down[2], math.hypot(down[0], down[1])))
    return HeadPose(yaw=yaw, pitch=pitch, roll=roll)


@contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Silence the TensorFlow Lite / absl banners that MediaPipe's C++ core prints on stderr."""
    try:
        saved = os.dup(2)
    except OSError:  # no real stderr (e.g. captured by a test runner)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


@cache
def _face_mesh() -> Any:
    import mediapipe as mp

    return mp.solutions.face_mesh.FaceMesh(
        static_image_mode=True,
        max_num_faces=2,
        refine_landmarks=True,
        min_detection_confidence=0.5,
    )


def _for_detection(rgb: NDArray[np.uint8]) -> tuple[NDArray[np.uint8], float]:
    """A copy no larger than MAX_DETECTION_SIDE (the model works at 192 px anyway)."""
    height, width = rgb.shape[:2]
    factor = min(1.0, MAX_DETECTION_SIDE / max(height, width))
    if factor == 1.0:
        return rgb, 1.0
    import cv2

    small = cv2.resize(
        rgb, (round(width * factor), round(height * factor)), interpolation=cv2.INTER_AREA
    )
    return np.ascontiguousarray(small), factor


def detect_landmarks(rgb: NDArray[np.uint8], field: str = "photo") -> Landmarks:
    """Exactly one face, large enough, or a ValidationError saying what is wrong."""
    small, factor = _for_detection(rgb)
    with _LOCK, _quiet_native_stderr():
        result = _face_mesh().process(small)
    faces = result.multi_face_landmarks or []
    if not faces:
        raise ValidationError(
            field, "no face found; use a frontal photo with the whole face visible"
        )
    if len(faces) > 1:
        raise ValidationError(field, "two faces found; photograph one patient at a time")
    h, w = small.shape[:2]
    points = np.array([[m.x * w, m.y * h, m.z * w] for m in faces[0].landmark]) / factor
    landmarks = Landmarks(points)
    if landmarks.face_width_px() < 0.15 * rgb.shape[1] or landmarks.interpupillary_px < 60:
        raise ValidationError(
            field, "the face is too small in the frame; fill at least a third of the width"
        )
    return landmarks
