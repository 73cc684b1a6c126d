"""Read a face photo safely: JPEG, PNG or TIFF, EXIF orientation applied, size limits enforced.

A colour photo is required (redness and tone are colour measures); 16-bit photos are scaled to
8 bits, never clipped. For analysis a JPEG is decoded at the resolution the measurement needs, by
the decoder's own DCT scaling (1/2, 1/4 or 1/8), which is several times faster than decoding every
pixel of a 12 MP photo and then throwing most of them away.
"""

from __future__ import annotations

import ctypes
import dataclasses
import functools
import hashlib
import io
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

from microneedling.core.data import read_file_bytes
from microneedling.core.errors import ValidationError

FORMATS = {"JPEG", "PNG", "TIFF", "MPO"}
JPEG_FORMATS = {"JPEG", "MPO"}
WIDE_MODES = {"I;16", "I;16B", "I;16L", "I;16N", "I", "F"}  # single channel, above 8 bits
GREY_TOLERANCE = 4  # codes of channel difference still counted as grey (JPEG chroma rounding)
EXIF_ORIENTATION = 0x0112
TURNING_ORIENTATIONS = {5, 6, 7, 8}  # displayed turned a quarter: width and height swap
JPEG_END = b"\xff\xd9"
JPEG_TAIL_BYTES = 64 * 1024  # cameras may append data (e.g. a second image) after the marker
IPD_SAFETY = 1.15  # the 1/8 preview's pupil distance is an estimate: keep 15% in hand
MAX_IPD_FRACTION = 0.6  # pupils at most this share of the short side apart (a face filling the
# frame has them about 0.4 of its width apart): below that no preview is decoded to look
MIN_SIDE_PX = 480
MAX_PIXELS = 50_000_000  # above the 24 MP the product promises; guards against decompression bombs
MAX_FILE_BYTES = 320_000_000  # 50 MP of 16-bit RGB, uncompressed: no photo file is larger
KEEP_FREED_BYTES = 256 * 1024 * 1024  # freed memory glibc keeps for the next photo (see below)

RGB = NDArray[np.uint8]


@dataclass(frozen=True)
class Photo:
    rgb: RGB
    sha256: str
    format: str
    source: str
    data: bytes = dataclasses.field(
        repr=False
    )  # the file as read, for storing without reading it again
    original_size: tuple[int, int] = (0, 0)  # (width, height) upright, at full resolution

    @property
    def width(self) -> int:
        """Full-resolution width (the decoded array may be smaller, see ``scale``)."""
        return self.original_size[0] or int(self.rgb.shape[1])

    @property
    def height(self) -> int:
        return self.original_size[1] or int(self.rgb.shape[0])

    @property
    def scale(self) -> float:
        """Decoded pixels per full-resolution pixel: 1, or 1/2, 1/4, 1/8 for a reduced JPEG."""
        return self.rgb.shape[1] / self.width

    @property
    def megapixels(self) -> float:
        return self.width * self.height / 1e6

    def box_in_decoded(self, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
        """A (x, y, width, height) box given in full-resolution pixels, in decoded pixels."""
        s = self.scale
        x, y, w, h = box
        return round(x * s), round(y * s), max(round(w * s), 1), max(round(h * s), 1)


def check_box(
    box: tuple[int, int, int, int], photo: Photo, field: str = "grey_box"
) -> tuple[int, int, int, int]:
    """A reference rectangle (x, y, width, height, full-resolution pixels) inside the photo."""
    x, y, w, h = box
    if w <= 0 or h <= 0:
        raise ValidationError(field, f"{w}x{h} px is empty; give a width and height above 0")
    if x < 0 or y < 0 or x + w > photo.width or y + h > photo.height:
        raise ValidationError(
            field,
            f"the box {x},{y},{w},{h} reaches outside the {photo.width}x{photo.height} px photo",
        )
    return photo.box_in_decoded(box)


def read_photo(path: Path, *, reduce_to_ipd_px: float | None = None) -> Photo:
    """Decode ``path`` into an RGB array, refusing anything that is not a usable photo."""
    field = str(path)
    data = read_file_bytes(path, field, max_bytes=MAX_FILE_BYTES)
    return decode_photo(data, field, reduce_to_ipd_px=reduce_to_ipd_px)


@functools.cache
def reuse_freed_memory() -> bool:
    """Let the C allocator (glibc) serve buffers of up to ``KEEP_FREED_BYTES`` from memory it
    keeps, and keep that much when it is freed, instead of mapping fresh pages for each photo
    and returning them afterwards. Once per process; True when set (Linux with glibc).

    Why: every fresh page costs a page fault. A 12 MP photo decoded whole is a 36 MB buffer,
    above glibc's largest automatic threshold (32 MB), so each photo's decode mapped 9,400
    fresh pages: 40-55 ms of system time on the benchmark machine, as much as the decoding
    itself. Memory freed is kept (the process holds its peak, about one photo's working set)
    rather than returned to the system. Nothing measured changes.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):
        return False  # not glibc (musl): its allocator keeps its own policy
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc's <malloc.h>
    return bool(
        mallopt(m_mmap_threshold, KEEP_FREED_BYTES) and mallopt(m_trim_threshold, KEEP_FREED_BYTES)
    )


def decode_photo(
    data: bytes, field: str = "photo", *, reduce_to_ipd_px: float | None = None
) -> Photo:
    """Decode image bytes (as uploaded or read from disk).

    With ``reduce_to_ipd_px``, a JPEG is decoded at the largest DCT reduction (1/2, 1/4, 1/8) that
    keeps the face's inter-pupillary distance at least that many pixels (found on a 1/8 preview);
    other formats, and photos where the preview finds no face, are decoded in full.
    """
    if not data:
        raise ValidationError(field, "the file is empty")
    reuse_freed_memory()
    reduction = 1
    if reduce_to_ipd_px is not None:
        reduction = _dct_reduction(data, field, reduce_to_ipd_px)
    rgb, kind, size = _decode(data, field, reduction)
    if min(size) < MIN_SIDE_PX:
        raise ValidationError(
            field, f"{size[0]}x{size[1]} px is too small; at least {MIN_SIDE_PX} px a side"
        )
    if is_greyscale(rgb):
        raise ValidationError(
            field,
            "a greyscale photo; redness, tone and white balance need a colour photo",
        )
    return Photo(
        np.ascontiguousarray(rgb), hashlib.sha256(data).hexdigest(), kind, field, data, size
    )


def _decode(data: bytes, field: str, reduction: int) -> tuple[RGB, str, tuple[int, int]]:
    """Pixels (reduced by 1, 2, 4 or 8 for JPEG), format, and full upright (width, height)."""
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format or "unknown"
            if kind not in FORMATS:
                raise ValidationError(
                    field, f"{kind} images are not supported; use JPEG, PNG or TIFF"
                )
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise ValidationError(
                    field, f"{width}x{height} is larger than {MAX_PIXELS // 1_000_000} MP"
                )
            turned = image.getexif().get(EXIF_ORIENTATION, 1) in TURNING_ORIENTATIONS
            size = (height, width) if turned else (width, height)
            fast = _decode_jpeg(data, reduction) if kind in JPEG_FORMATS else None
            if fast is not None:
                return fast, kind, size
            if reduction > 1 and kind in JPEG_FORMATS:
                image.draft("RGB", (width // reduction, height // reduction))
            image.load()
            upright = ImageOps.exif_transpose(image)
            rgb = to_rgb8(upright)
    except ValidationError:
        raise
    except UnidentifiedImageError:
        raise ValidationError(field, "not an image (JPEG, PNG or TIFF expected)") from None
    except Image.DecompressionBombError:
        raise ValidationError(field, f"larger than {MAX_PIXELS // 1_000_000} MP") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(
            field, f"cannot decode the image, it may be truncated ({exc})"
        ) from None
    return rgb, kind, size


def _decode_jpeg(data: bytes, reduction: int) -> RGB | None:
    """A complete JPEG decoded by libjpeg-turbo through OpenCV, DCT-scaled by ``reduction`` and
    turned upright by its EXIF orientation; None when OpenCV cannot, and Pillow should, decode it.

    About twice as fast as Pillow's decode plus its copy into NumPy. A file cut short would decode
    with grey rows instead of failing, so only a file that ends with the JPEG end marker is taken.
    """
    if JPEG_END not in data[-JPEG_TAIL_BYTES:]:
        return None
    import cv2

    flags = {
        1: cv2.IMREAD_COLOR,
        2: cv2.IMREAD_REDUCED_COLOR_2,
        4: cv2.IMREAD_REDUCED_COLOR_4,
        8: cv2.IMREAD_REDUCED_COLOR_8,
    }[reduction]
    encoded = np.frombuffer(data, np.uint8)
    rgb_flag = getattr(cv2, "IMREAD_COLOR_RGB", None)  # OpenCV >= 4.10: libjpeg writes RGB
    if rgb_flag is not None:  # (saves converting every pixel from BGR afterwards)
        rgb = cv2.imdecode(encoded, (flags & ~cv2.IMREAD_COLOR) | rgb_flag)
        return None if rgb is None else np.asarray(rgb, np.uint8)
    bgr = cv2.imdecode(encoded, flags)
    return None if bgr is None else np.asarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), np.uint8)


def to_rgb8(image: Image.Image) -> RGB:
    """8-bit RGB from any mode; 16- and 32-bit single-channel images are scaled, not clipped.

    Pillow's own ``convert("RGB")`` clips a 16-bit greyscale image at 255 (a white picture).
    """
    if image.mode in WIDE_MODES:
        values = np.asarray(image).astype(np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or values.max() <= 65535 else values.max()
        grey = np.clip(np.rint(values * (255.0 / top)), 0, 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2)
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


def is_greyscale(rgb: RGB, tolerance: int = GREY_TOLERANCE) -> bool:
    """True when no pixel's channels differ by more than ``tolerance`` codes (JPEG chroma noise),
    checked on a regular sample of about 65,000 pixels (channel by channel: NumPy's reductions
    over a last axis of three are ten times slower than element-wise maxima)."""
    step = max(1, int(np.sqrt(rgb.shape[0] * rgb.shape[1] / 65_536)))
    sample = rgb[::step, ::step]
    red, green, blue = sample[..., 0], sample[..., 1], sample[..., 2]
    spread = np.maximum(np.maximum(red, green), blue) - np.minimum(np.minimum(red, green), blue)
    return bool(spread.max() <= tolerance)


def _dct_reduction(data: bytes, field: str, min_ipd_px: float) -> int:
    """1, 2, 4 or 8: how far a JPEG can be reduced while the pupils stay ``min_ipd_px`` apart."""
    from microneedling.analysis.landmarks import detect_faces

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in JPEG_FORMATS:
                return 1
            longest = max(image.size)
            shortest = min(image.size)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        return 1  # the full decode reports what is wrong
    if shortest * MAX_IPD_FRACTION / 2 < min_ipd_px * IPD_SAFETY:
        return 1  # no face fits this photo with its pupils far enough apart to halve it
    preview, _, _ = _decode(data, field, 8)
    faces = detect_faces(preview)
    if len(faces) != 1:
        return 1  # let the full decode and the landmark step say what is wrong
    # the detector's two eye keypoints: the pupil distance to within a few percent, at no extra cost
    preview_ipd = float(np.linalg.norm(faces[0].keypoints[1] - faces[0].keypoints[0]))
    full_ipd = preview_ipd * max(longest, 1) / max(preview.shape[:2])  # preview may be upright
    reduction = 1
    while reduction < 8 and full_ipd / (reduction * 2) >= min_ipd_px * IPD_SAFETY:
        reduction *= 2
    return reduction


def analysis_ipd_px() -> float:
    """The pupil distance, in pixels, of a face at the analysis's working scale (mm per pixel).

    Photos are measured at that scale; decoding a JPEG finer than it is wasted work.
    """
    from microneedling.analysis.settings import analysis_settings
    from microneedling.analysis.zones import ADULT_IPD_MM

    return ADULT_IPD_MM / analysis_settings().working_mm_per_px.value


def write_png(rgb: RGB, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb).save(path, format="PNG")
    return path
