"""The photo store: copies without identifying metadata, written once under their hash.

A camera's file carries EXIF (owner's name, GPS position, serial number, dates), XMP and IPTC
blocks. The stored copy keeps only what decoding needs, so it decodes to exactly the pixels that
were analysed:

- JPEG (and MPO, whose first picture is kept): the marker segments are filtered without
  re-encoding; APP1 (EXIF, XMP), APP13 (IPTC), COM and the other APPn blocks go, JFIF (APP0), ICC
  profiles (APP2) and Adobe's colour transform (APP14) stay; a minimal EXIF with only the
  orientation is written back when the photo was not upright.
- PNG: the chunks are filtered; text, time and EXIF chunks go (EXIF is rewritten with only the
  orientation when needed).
- TIFF: the analysed (upright) pixels are stored as a lossless PNG, since TIFF keeps metadata in
  the same directories as its pixel layout.

References: JPEG (ITU-T T.81, Annex B), JFIF 1.02, Exif 2.32 (CIPA DC-008), PNG (ISO/IEC 15948).
"""

from __future__ import annotations

import io
import os
import struct
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from microneedling.records.database import data_dir

if TYPE_CHECKING:  # Pillow and NumPy load only when a photo is stored, not at CLI start
    import numpy as np
    from numpy.typing import NDArray

PHOTO_DIR_ENV = "MICRONEEDLING_PHOTO_DIR"
ORIENTATION_TAG = 0x0112
JPEG_KEEP_APP = {0xE0, 0xE2, 0xEE}  # APP0 JFIF, APP2 ICC profile, APP14 Adobe
PNG_DROP = {b"tEXt", b"zTXt", b"iTXt", b"tIME", b"eXIf"}


def photo_dir() -> Path:
    """Where stored photos live: ``MICRONEEDLING_PHOTO_DIR``, else beside the default database."""
    return Path(os.environ.get(PHOTO_DIR_ENV) or data_dir() / "photos")


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    suffix: str
    orientation: int  # the EXIF orientation (1-8) that decoding applies; 1 = upright as stored


def _orientation(data: bytes) -> int:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        value = image.getexif().get(ORIENTATION_TAG, 1)
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _exif_orientation_only(orientation: int) -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[ORIENTATION_TAG] = orientation
    payload = exif.tobytes()
    return payload if payload.startswith(b"Exif\x00\x00") else b"Exif\x00\x00" + payload


def _jpeg(data: bytes, orientation: int) -> bytes:
    if data[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG stream")
    out = [b"\xff\xd8"]
    if orientation != 1:
        payload = _exif_orientation_only(orientation)
        out.append(b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload)
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise ValueError("corrupt JPEG marker")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        length = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        segment = data[pos : pos + 2 + length]
        if marker == 0xDA:  # start of scan: the coded data follow, up to the first EOI
            end = data.find(b"\xff\xd9", pos)
            out.append(data[pos : (len(data) if end < 0 else end + 2)])
            return b"".join(out)
        is_app = 0xE0 <= marker <= 0xEF
        if not ((is_app and marker not in JPEG_KEEP_APP) or marker == 0xFE):
            out.append(segment)
        pos += 2 + length
    raise ValueError("JPEG without image data")


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png(data: bytes, orientation: int) -> bytes:
    out = [data[:8]]
    pos = 8
    while pos + 8 <= len(data):
        length = struct.unpack(">I", data[pos : pos + 4])[0]
        kind = data[pos + 4 : pos + 8]
        chunk = data[pos : pos + 12 + length]
        if kind == b"IDAT" and orientation != 1 and not any(b"eXIf" in c[4:8] for c in out):
            out.append(_png_chunk(b"eXIf", _exif_orientation_only(orientation)[6:]))
        if kind not in PNG_DROP:
            out.append(chunk)
        pos += 12 + length
        if kind == b"IEND":
            break
    return b"".join(out)


def _png_of(rgb: NDArray[np.uint8]) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG")
    return buffer.getvalue()


def clean_copy(data: bytes, kind: str, upright_rgb: NDArray[np.uint8]) -> CleanPhoto:
    """A copy of a decoded photo without identifying metadata that decodes to the same pixels.

    ``kind`` is the decoder's format name and ``upright_rgb`` the pixels that were analysed (used
    for TIFF, which is stored as PNG).
    """
    orientation = _orientation(data)
    if kind in ("JPEG", "MPO"):
        return CleanPhoto(_jpeg(data, orientation), ".jpg", orientation)
    if kind == "PNG":
        return CleanPhoto(_png(data, orientation), ".png", orientation)
    return CleanPhoto(_png_of(upright_rgb), ".png", orientation)


def write_once(directory: Path, name: str, data: bytes) -> Path:
    """Write ``directory/ab/name`` atomically unless it exists: content-addressed, never changed."""
    target = directory / name[:2] / name
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False) as handle:
        handle.write(data)
        temporary = Path(handle.name)
    os.replace(temporary, target)
    return target
