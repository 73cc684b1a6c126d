"""Facial landmarks: MediaPipe's face models run with LiteRT, 478 points in image pixels.

Three model files ship as package data (``analysis/models``, Apache-2.0, taken once from the
mediapipe 0.10.21 wheel; see the NOTICE there): the BlazeFace short-range detector, the plain
468-point face mesh and the iris model (5 points per eye), together MediaPipe's 478 points.
They run with ``ai-edge-litert``; the pre- and post-processing (SSD anchors, weighted non-maximum
suppression, the rotated 192x192 face crop, the 64x64 eye crops, projecting back) is here, in NumPy,
following MediaPipe's own graphs. Nothing is downloaded at run time.

Points are in image pixels, x and y measured from the image's top-left corner (pixel edges, as
MediaPipe's normalised coordinates times the image size); z is in the same scale as x.

References
----------
Bazarevsky V, et al. BlazeFace: sub-millisecond neural face detection on mobile GPUs.
arXiv:1907.05047.
Kartynnik Y, et al. Real-time facial surface geometry from monocular video on mobile GPUs.
arXiv:1907.06724.
Ablavatski A, et al. Real-time pupil tracking from monocular video for digital puppetry.
arXiv:2006.11341.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

from microneedling.core.errors import ValidationError

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

MODEL = "litert-mp0.10.21-blazeface+mesh468+iris"  # runtime, model files, their source
RIGHT_IRIS, LEFT_IRIS = 468, 473  # the subject's right iris appears on the image's left
FOREHEAD_TOP, NOSE_TIP, CHIN = 10, 1, 152
UPPER_LIP, LOWER_LIP = 13, 14  # the inner lips' middle points
RIGHT_EYE_OUTER, LEFT_EYE_OUTER = 33, 263
RIGHT_EYE_CORNERS, LEFT_EYE_CORNERS = (33, 133), (362, 263)  # MediaPipe's iris graph
MIN_FACE_SCORE = 0.5  # MediaPipe's default min_detection_confidence
MIN_FACE_WIDTH_FRACTION = 0.15
MIN_INTERPUPILLARY_PX = 60.0
# The crop from the mesh (_landmarks_rect): the detector's crop on a well-detected face, relative
# to the box that encloses the mesh's points from that crop (measured on the 9 photos of
# test_landmarks_reference.py: side 1.36-1.37x the box's long side, centre 0.036-0.049 of it
# below the box's centre; 1.45 and 0.07 on two outliers). MediaPipe's tracking crop: 1.5x, no
# shift. Source: estimate (measured here).
LANDMARK_ROI_SCALE = 1.36
LANDMARK_ROI_SHIFT = 0.042
# Mesh passes on the crop from the previous mesh (tests/analysis/test_landmarks_refinement.py),
# run when the detector's keypoints lie further than this (in inter-pupillary distances) from the
# mesh's own eye centres, nose tip and mouth: at most 0.19 on the 14 photos of
# test_landmarks_reference.py and test_landmarks_tones.py the detector finds well, 0.40 on the
# dark re-toned face it misplaces. Source: estimate (measured here).
MESH_REFINEMENTS = 1
MAX_KEYPOINT_OFF_IPD = 0.25
_LOCK = threading.Lock()  # LiteRT interpreters are not safe to share between threads


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


# --- the LiteRT runtime -------------------------------------------------------------------------


@dataclass(frozen=True)
class FaceBox:
    """One face found by the detector: centre, size and six keypoints in image pixels."""

    centre: tuple[float, float]
    width: float
    height: float
    keypoints: NDArray[
        np.float64
    ]  # (6, 2): right eye, left eye, nose tip, mouth, right ear, left ear
    score: float


@dataclass(frozen=True)
class _Rect:
    """A rotated square in image pixels (MediaPipe's NormalizedRect, in pixels)."""

    cx: float
    cy: float
    side: float
    angle: float  # radians, clockwise on screen (y points down)

    def to_image(self, uv: NDArray[np.float64]) -> NDArray[np.float64]:
        """Map crop coordinates in [0, 1] (pixel edges) to image pixels."""
        c, s = math.cos(self.angle), math.sin(self.angle)
        u, v = uv[:, 0] - 0.5, uv[:, 1] - 0.5
        x = (c * u - s * v) * self.side + self.cx
        y = (s * u + c * v) * self.side + self.cy
        return np.column_stack([x, y])


@contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Silence the banner LiteRT's C++ core prints on stderr when it builds an interpreter."""
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
def _interpreter(name: str) -> Any:
    """A LiteRT interpreter for one bundled model, on one thread (photos are the parallel unit)."""
    from ai_edge_litert.interpreter import Interpreter

    path = resources.files("microneedling.analysis") / "models" / f"{name}.tflite"
    with resources.as_file(path) as model_path, _quiet_native_stderr():
        interpreter = Interpreter(model_path=str(model_path), num_threads=1)
        interpreter.allocate_tensors()
    return interpreter


def _run(name: str, tensor: NDArray[np.float32]) -> dict[str, NDArray[np.float32]]:
    """Run one model on a (1, h, w, 3) float tensor; outputs by tensor name."""
    interpreter = _interpreter(name)
    with _LOCK:  # one interpreter per model, shared: one caller at a time
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], tensor)
        interpreter.invoke()
        outputs = interpreter.get_output_details()
        return {d["name"]: np.array(interpreter.get_tensor(d["index"])) for d in outputs}


@cache
def ssd_anchors() -> NDArray[np.float64]:
    """The 896 anchor centres of BlazeFace short range, normalised to the 128x128 input.

    MediaPipe's SsdAnchorsCalculator with strides (8, 16, 16, 16), fixed anchor size and one aspect
    ratio: two anchors per cell on the 16x16 grid, six per cell on the 8x8 grid.
    """
    grids = []
    for cells, per_cell in ((16, 2), (8, 6)):
        centres = (np.arange(cells) + 0.5) / cells
        gx, gy = np.meshgrid(centres, centres)
        cell = np.column_stack([gx.ravel(), gy.ravel()])
        grids.append(np.repeat(cell, per_cell, axis=0))
    return np.concatenate(grids)


def _iou(box: NDArray[np.float64], boxes: NDArray[np.float64]) -> NDArray[np.float64]:
    """Intersection over union of one (x0, y0, x1, y1) box with many."""
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[2], boxes[:, 2])
    y1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-12)


def weighted_nms(
    values: NDArray[np.float64], scores: NDArray[np.float64], iou_threshold: float = 0.3
) -> list[tuple[NDArray[np.float64], float]]:
    """MediaPipe's weighted non-maximum suppression (BlazeFace's tie resolution).

    ``values`` rows start with a (x0, y0, x1, y1) box; each kept detection is the score-weighted
    mean of every row overlapping the best remaining one by more than ``iou_threshold``.
    """
    order = np.argsort(-scores)
    values, scores = values[order], scores[order]
    kept: list[tuple[NDArray[np.float64], float]] = []
    remaining = np.ones(len(scores), dtype=bool)
    while remaining.any():
        first = int(np.flatnonzero(remaining)[0])
        overlap = remaining & (_iou(values[first, :4], values[:, :4]) > iou_threshold)
        overlap[first] = True
        weights = scores[overlap]
        kept.append((weights @ values[overlap] / weights.sum(), float(scores[first])))
        remaining &= ~overlap
    return kept


class Pyramid:
    """An image and its successive halvings (2x2 means, OpenCV's vectorised special case of the
    area resize, about ten times faster per pixel than a general one), each made once, on first
    use: the detector's input and the mesh and eye crops are all taken from it, so a 12 MP photo
    is averaged down once for all of them.

    Level k is the image halved k times; an odd last row or column is left out of a halving, so
    each pixel of level k covers exactly a 2^k x 2^k block of the image.
    """

    def __init__(self, image: NDArray[np.uint8]) -> None:
        self._levels = [image]

    @property
    def image(self) -> NDArray[np.uint8]:
        return self._levels[0]

    def level(self, k: int) -> NDArray[np.uint8]:
        """The image halved ``k`` times (fewer where it would fall below 2 px a side)."""
        while len(self._levels) <= k:
            last = self._levels[-1]
            height, width = last.shape[:2]
            if height < 4 or width < 4:
                break
            even = last[: height // 2 * 2, : width // 2 * 2]
            half = cv2.resize(even, (width // 2, height // 2), interpolation=cv2.INTER_AREA)
            self._levels.append(half)
        return self._levels[min(k, len(self._levels) - 1)]

    def reduction(self, k: int) -> int:
        """Image pixels per pixel of ``level(k)`` (2^k, or less where the halving stopped)."""
        return int(2 ** min(k, len(self._levels) - 1))

    def shrink_area(self, size: tuple[int, int]) -> tuple[NDArray[np.uint8], float, float]:
        """The image area-averaged to ``size`` (width, height): see ``shrink_area``."""
        height, width = self.image.shape[:2]
        new_w, new_h = size
        k = 0
        image = self.image
        covered_w, covered_h = float(width), float(height)
        while image.shape[1] >= 8 * new_w and image.shape[0] >= 8 * new_h:
            k += 1
            image = self.level(k)
            covered_w, covered_h = float(image.shape[1] * 2**k), float(image.shape[0] * 2**k)
        if (image.shape[1], image.shape[0]) != (new_w, new_h):
            image = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA)
        return image, covered_w, covered_h


def shrink_area(
    image: NDArray[np.uint8], size: tuple[int, int]
) -> tuple[NDArray[np.uint8], float, float]:
    """``image`` area-averaged to ``size`` (width, height), as ``cv2.resize`` with INTER_AREA.

    A large reduction is done first by halving (2x2 means, OpenCV's vectorised special case, about
    ten times faster per pixel than a general area resize) while the rest of the reduction stays
    2x or more, then by one area resize; the result differs from a single area resize by rounding
    only. An odd last row or column is left out of a halving, so the result may cover slightly
    less than the whole image: returns it with the width and height (source pixels) it covers.
    """
    return Pyramid(image).shrink_area(size)


def _letterbox(
    image: NDArray[np.uint8] | Pyramid, size: int
) -> tuple[NDArray[np.uint8], tuple[float, float], float, float]:
    """The image shrunk (area-averaged) into a size x size square, centred, black around it.

    Returns the square and the mapping back: image = (square - offset) / scale, per axis (x, y).
    """
    pyramid = image if isinstance(image, Pyramid) else Pyramid(image)
    height, width = pyramid.image.shape[:2]
    scale = size / max(height, width)
    new_w, new_h = max(round(width * scale), 1), max(round(height * scale), 1)
    small, covered_w, covered_h = pyramid.shrink_area((new_w, new_h))
    square = np.zeros((size, size, 3), np.uint8)
    off_x, off_y = (size - new_w) // 2, (size - new_h) // 2
    square[off_y : off_y + new_h, off_x : off_x + new_w] = small
    return square, (new_w / covered_w, new_h / covered_h), float(off_x), float(off_y)


def detect_faces(
    rgb: NDArray[np.uint8] | Pyramid, min_score: float = MIN_FACE_SCORE
) -> list[FaceBox]:
    """Every face BlazeFace (short range) finds in the whole image, best first."""
    square, scale, off_x, off_y = _letterbox(rgb, 128)
    tensor = (square.astype(np.float32) / 127.5 - 1.0)[None]
    out = _run("face_detection_short_range", tensor)
    raw = out["regressors"][0].astype(np.float64)
    logits = np.clip(out["classificators"][0, :, 0].astype(np.float64), -100.0, 100.0)
    scores = 1.0 / (1.0 + np.exp(-logits))
    keep = scores >= min_score
    if not keep.any():
        return []
    anchors = np.tile(ssd_anchors()[keep], 7)  # x, y for the centre and for six keypoints
    raw = raw[keep] / 128.0
    centres_and_points = raw[:, [0, 1, *range(4, 16)]] + anchors
    cx, cy = centres_and_points[:, 0], centres_and_points[:, 1]
    w, h = raw[:, 2], raw[:, 3]
    boxes = np.column_stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])
    faces = []
    for merged, score in weighted_nms(np.column_stack([boxes, centres_and_points]), scores[keep]):
        in_square = merged[4:].reshape(7, 2) * 128.0
        in_image = (in_square - [off_x, off_y]) / scale
        x0, y0, x1, y1 = merged[:4] * 128.0 / np.tile(scale, 2)
        faces.append(
            FaceBox(
                centre=(float(in_image[0, 0]), float(in_image[0, 1])),
                width=float(x1 - x0),
                height=float(y1 - y0),
                keypoints=in_image[1:],
                score=score,
            )
        )
    return faces


def _rect_between(
    start: NDArray[np.float64], end: NDArray[np.float64], centre: NDArray[np.float64], size: float
) -> _Rect:
    """A square of ``size`` px around ``centre``, turned so that start -> end is horizontal."""
    angle = -math.atan2(-(end[1] - start[1]), end[0] - start[0])
    return _Rect(float(centre[0]), float(centre[1]), size, angle)


def _crop(rgb: NDArray[np.uint8], rect: _Rect, size: int) -> NDArray[np.uint8]:
    """The rotated square ``rect`` resampled to size x size (area-averaged first when shrinking)."""
    height, width = rgb.shape[:2]
    shrink = rect.side / size
    source, fx, fy, x0, y0 = rgb, 1.0, 1.0, 0, 0
    if shrink > 2.0:  # bilinear sampling would alias: average down to ~1.5x the crop first
        # half the turned square's bounding box, plus a few source pixels for the sampling
        reach = 0.5 * rect.side * (abs(math.cos(rect.angle)) + abs(math.sin(rect.angle)))
        reach += 2 + 2 * shrink
        x0, x1 = max(int(rect.cx - reach), 0), min(int(rect.cx + reach) + 1, width)
        y0, y1 = max(int(rect.cy - reach), 0), min(int(rect.cy + reach) + 1, height)
        if x1 - x0 >= 2 and y1 - y0 >= 2:
            factor = shrink / 1.5
            new_w, new_h = max(round((x1 - x0) / factor), 2), max(round((y1 - y0) / factor), 2)
            source, covered_w, covered_h = shrink_area(rgb[y0:y1, x0:x1], (new_w, new_h))
            fx, fy = covered_w / new_w, covered_h / new_h
        else:
            x0 = y0 = 0
    # output pixel (col, row) -> crop coordinate ((col + 0.5) / size) -> image edge coordinate
    corners = np.array([[0.5, 0.5], [size - 0.5, 0.5], [0.5, size - 0.5]]) / size
    in_image = rect.to_image(corners)
    in_source = np.column_stack(
        [(in_image[:, 0] - x0) / fx - 0.5, (in_image[:, 1] - y0) / fy - 0.5]
    ).astype(np.float32)
    out_pts = np.array([[0, 0], [size - 1, 0], [0, size - 1]], np.float32)
    matrix = cv2.getAffineTransform(out_pts, in_source)
    return cv2.warpAffine(
        source,
        matrix,
        (size, size),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )


def _crop_from(pyramid: Pyramid, rect: _Rect, size: int) -> NDArray[np.uint8]:
    """``_crop`` of the pyramid's image, read from its coarsest level that keeps the crop
    sampled at 1.5x or more (as ``_crop``'s own area step leaves it): the same crop, averaged
    over 2^k blocks once for the whole image instead of over the crop's box each time."""
    shrink = rect.side / size
    k = 0
    while 2 ** (k + 1) <= shrink / 1.5:
        k += 1
    source = pyramid.level(k)
    step = pyramid.reduction(k)
    return _crop(source, _Rect(rect.cx / step, rect.cy / step, rect.side / step, rect.angle), size)


def _face_rect(face: FaceBox) -> _Rect:
    """MediaPipe's face ROI from a detection: the box 1.5x, squared on its long side, eyes level."""
    right_eye, left_eye = face.keypoints[0], face.keypoints[1]
    size = 1.5 * max(face.width, face.height)
    return _rect_between(right_eye, left_eye, np.array(face.centre), size)


def _mesh(pyramid: Pyramid, rect: _Rect) -> tuple[NDArray[np.float64], float]:
    """The 468 mesh points in image pixels and the model's face-presence score."""
    crop = _crop_from(pyramid, rect, 192)
    out = _run("face_landmark", (crop.astype(np.float32) / 255.0)[None])
    raw = out["conv2d_21"].reshape(468, 3).astype(np.float64) / 192.0
    presence = 1.0 / (1.0 + math.exp(-float(out["conv2d_31"].ravel()[0])))
    xy = rect.to_image(raw[:, :2])
    return np.column_stack([xy, raw[:, 2] * rect.side]), presence


# The first 16 of the iris model's 71 eye-region points outline the eye; their face-mesh indices
# (MediaPipe's UpdateFaceLandmarks table, right eye; the left eye's are its mirror images).
RIGHT_EYE_OUTLINE = (33, 7, 163, 144, 145, 153, 154, 155, 133, 246, 161, 160, 159, 158, 157, 173)
LEFT_EYE_OUTLINE = (263, 249, 390, 373, 374, 380, 381, 382, 362, 466, 388, 387, 386, 385, 384, 398)


def _eye(
    pyramid: Pyramid, mesh: NDArray[np.float64], corners: tuple[int, int], mirrored: bool
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """One eye from MediaPipe's iris model on a 64x64 eye crop: 5 iris points (centre first) and
    the 16-point eye outline, (x, y, z) in image pixels.

    The eye ROI is the box of the two eye corners, 2.3x, squared on its long side, turned level.
    The model was trained on one eye, so the other eye's crop is mirrored and its points mirrored
    back. The outline replaces the mesh's own eye points: on the reference photos it agrees with
    mediapipe's attention model to ~0.6 mm where the plain mesh is off by ~1.2 mm.
    """
    a, b = mesh[corners[0], :2], mesh[corners[1], :2]
    extent = np.abs(b - a)
    rect = _rect_between(a, b, (a + b) / 2, 2.3 * float(extent.max()))
    crop = _crop_from(pyramid, rect, 64)
    if mirrored:
        crop = np.ascontiguousarray(crop[:, ::-1])
    out = _run("iris_landmark", (crop.astype(np.float32) / 255.0)[None])
    iris = out["output_iris"].reshape(5, 3).astype(np.float64) / 64.0
    outline = out["output_eyes_contours_and_brows"].reshape(71, 3)[:16].astype(np.float64) / 64.0
    if mirrored:  # mirror back; the iris contour then runs the other way round, as the mesh has it
        iris[:, 0] = 1.0 - iris[:, 0]
        outline[:, 0] = 1.0 - outline[:, 0]
        iris = iris[[0, 3, 2, 1, 4]]

    def project(points: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.column_stack([rect.to_image(points[:, :2]), points[:, 2] * rect.side])

    return project(iris), project(outline)


def _landmarks_rect(mesh: NDArray[np.float64]) -> _Rect:
    """The face crop taken from the mesh's own points instead of the detector's six keypoints.

    MediaPipe's face-landmark graph tracks a face this way (FaceLandmarkLandmarksToRoi): the box
    that just encloses the points, squared on its long side, turned so that the outer eye
    corners (points 33 -> 263) are level. Its scale, 1.5x, makes a crop about 10% larger than the
    detector's, and on that crop the plain mesh lands 0.2-0.5 mm further from mediapipe 0.10.21's
    own landmarks (the reference, made from the detector's crop): brows, nose, lips and outline
    miss their tolerances on 5 of 9 reference photos. So the box is scaled and shifted down the
    face (along the crop's own vertical, as MediaPipe's RectTransformation shift_y) to where the
    detector's crop sits on a well-detected face: ``LANDMARK_ROI_SCALE`` and
    ``LANDMARK_ROI_SHIFT``, measured from the detector crops of the reference photos.
    """
    low, high = mesh[:468, :2].min(axis=0), mesh[:468, :2].max(axis=0)
    extent = float((high - low).max())
    turned = _rect_between(mesh[RIGHT_EYE_OUTER, :2], mesh[LEFT_EYE_OUTER, :2], low, extent)
    down = np.array([-math.sin(turned.angle), math.cos(turned.angle)])
    centre = (low + high) / 2 + LANDMARK_ROI_SHIFT * extent * down
    return _Rect(float(centre[0]), float(centre[1]), LANDMARK_ROI_SCALE * extent, turned.angle)


def keypoints_off_ipd(face: FaceBox, mesh: NDArray[np.float64]) -> float:
    """How far the detector's eye, nose and mouth keypoints lie from the mesh's own points for
    them (eye outlines' centres, nose tip, mouth centre), the largest, in inter-pupillary
    distances: a detector that misplaced the face gave a crop the mesh reads differently."""
    xy = mesh[:, :2]
    right_eye, left_eye = (
        xy[list(RIGHT_EYE_OUTLINE)].mean(axis=0),
        xy[list(LEFT_EYE_OUTLINE)].mean(axis=0),
    )
    own = np.array([right_eye, left_eye, xy[NOSE_TIP], (xy[UPPER_LIP] + xy[LOWER_LIP]) / 2])
    off = np.linalg.norm(face.keypoints[:4] - own, axis=1)
    return float(off.max() / max(float(np.linalg.norm(left_eye - right_eye)), 1e-9))


def face_landmarks(
    rgb: NDArray[np.uint8] | Pyramid,
    face: FaceBox,
    refinements: int = MESH_REFINEMENTS,
    max_off_ipd: float = MAX_KEYPOINT_OFF_IPD,
) -> tuple[Landmarks, float]:
    """The 478 points of one detected face and the mesh model's face-presence score.

    The mesh runs on the detector's crop (as mediapipe's static-image mode does, whose points
    test_landmarks_reference.py holds this runtime to). Where the detector's keypoints lie more
    than ``max_off_ipd`` from the mesh's own (``keypoints_off_ipd``), it misplaced the face, and
    the mesh runs ``refinements`` more times, each on the crop its previous points give
    (``_landmarks_rect``), as MediaPipe's face-landmark graph does from one video frame to the
    next: on the dark re-toned base face BlazeFace's keypoints lie 0.40 IPD off, its crop sat
    0.033 of the face's height higher and turned 12.9 instead of 9.8 degrees, and the mesh on it
    put the brows 3.3 px higher than on the very light face; after one refinement 0.1 px
    (tests/analysis/test_landmarks_tones.py). A face the detector placed well keeps its crop:
    its points are then those of the static-image pipeline, which the analysis' guard tests
    were measured with (a refinement moves them 1.8 px on average, the eye outlines 0.8 px).
    Each pass moves the points about half as far as the one before; one is run (a mesh
    inference and a crop; test_landmarks_refinement.py says why not more). A crop with no face
    (presence below ``MIN_FACE_SCORE``) is not refined. The eye crops come from the last mesh.
    """
    pyramid = rgb if isinstance(rgb, Pyramid) else Pyramid(rgb)
    mesh, presence = _mesh(pyramid, _face_rect(face))
    if presence >= MIN_FACE_SCORE and keypoints_off_ipd(face, mesh) > max_off_ipd:
        for _ in range(refinements):
            mesh, presence = _mesh(pyramid, _landmarks_rect(mesh))
    right_iris, right_outline = _eye(pyramid, mesh, RIGHT_EYE_CORNERS, mirrored=False)
    left_iris, left_outline = _eye(pyramid, mesh, LEFT_EYE_CORNERS, mirrored=True)
    mesh[list(RIGHT_EYE_OUTLINE), :2] = right_outline[:, :2]  # keep the mesh's depth
    mesh[list(LEFT_EYE_OUTLINE), :2] = left_outline[:, :2]
    return Landmarks(np.concatenate([mesh, right_iris, left_iris])), presence


def detect_landmarks(rgb: NDArray[np.uint8], field: str = "photo") -> Landmarks:
    """Exactly one face, large enough, or a ValidationError saying what is wrong."""
    pyramid = Pyramid(rgb)  # the detector, the mesh and the eyes read its levels
    faces = detect_faces(pyramid)
    if len(faces) > 1:
        raise ValidationError(field, f"{len(faces)} faces found; photograph one patient at a time")
    if not faces:
        small = _small_faces(rgb)
        if small:
            raise ValidationError(field, _too_small_reason(rgb, small))
        raise ValidationError(
            field, "no face found; use a frontal photo with the whole face visible"
        )
    landmarks, presence = face_landmarks(pyramid, faces[0])
    if presence < MIN_FACE_SCORE:
        raise ValidationError(
            field, "no face found; use a frontal photo with the whole face visible"
        )
    if (
        landmarks.face_width_px() < MIN_FACE_WIDTH_FRACTION * rgb.shape[1]
        or landmarks.interpupillary_px < MIN_INTERPUPILLARY_PX
    ):
        raise ValidationError(field, _too_small_reason(rgb, faces))
    return landmarks


def _small_faces(rgb: NDArray[np.uint8]) -> list[FaceBox]:
    """Faces too small for the whole-frame detector, found on overlapping tiles (a group photo).

    Only run once the whole frame found nothing, to tell "faces too small" from "no face".
    """
    height, width = rgb.shape[:2]
    found: list[FaceBox] = []
    for tiles in (2, 3, 4):
        side = math.ceil(max(height, width) / tiles * 1.5)
        step_y = max((height - side) // max(tiles - 1, 1), 1)
        step_x = max((width - side) // max(tiles - 1, 1), 1)
        for y in range(0, max(height - side, 0) + 1, step_y):
            for x in range(0, max(width - side, 0) + 1, step_x):
                for face in detect_faces(rgb[y : y + side, x : x + side]):
                    centre = (face.centre[0] + x, face.centre[1] + y)
                    if all(math.dist(centre, f.centre) > 0.5 * f.width for f in found):
                        found.append(
                            FaceBox(
                                centre,
                                face.width,
                                face.height,
                                face.keypoints + np.array([x, y]),
                                face.score,
                            )
                        )
        if found:
            return found
    return found


def _too_small_reason(rgb: NDArray[np.uint8], faces: list[FaceBox]) -> str:
    width = rgb.shape[1]
    sizes = ", ".join(f"{f.width:.0f}" for f in faces[:6])
    count = "1 face" if len(faces) == 1 else f"{len(faces)} faces"
    return (
        f"{count} found but too small in the frame (about {sizes} px wide in a {width} px wide "
        f"photo); photograph one patient whose face fills at least a third of the width"
    )
