"""Read a face photo safely: JPEG, PNG or TIFF, EXIF orientation applied, size limits enforced."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageOps, UnidentifiedImageError

from microneedling.core.errors import ValidationError

FORMATS = {"JPEG", "PNG", "TIFF", "MPO"}
MIN_SIDE_PX = 480
MAX_PIXELS = 50_000_000  # above the 24 MP the product promises; guards against decompression bombs

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

    @property
    def megapixels(self) -> float:
        return self.rgb.shape[0] * self.rgb.shape[1] / 1e6


def read_photo(path: Path) -> Photo:
    """Decode ``path`` into an RGB array, refusing anything that is not a usable photo."""
    field = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ValidationError(field, "no such file") from None
    except IsADirectoryError:
        raise ValidationError(field, "is a directory, not a photo") from None
    return decode_photo(data, field)


def decode_photo(data: bytes, field: str = "photo") -> Photo:
    """Decode image bytes (as uploaded or read from disk)."""
    import io

    if not data:
        raise ValidationError(field, "the file is empty")
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
            image.load()
            upright = ImageOps.exif_transpose(image)
            rgb = np.asarray(upright.convert("RGB"), dtype=np.uint8)
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
    if min(rgb.shape[:2]) < MIN_SIDE_PX:
        raise ValidationError(
            field,
            f"{rgb.shape[1]}x{rgb.shape[0]} px is too small; at least {MIN_SIDE_PX} px a side",
        )
    return Photo(np.ascontiguousarray(rgb), hashlib.sha256(data).hexdigest(), kind, field, data)


def write_png(rgb: RGB, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(rgb).save(path, format="PNG")
    return path
