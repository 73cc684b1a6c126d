"""Stored photos lose their identifying metadata and decode to exactly the analysed pixels.

Synthetic photos carry planted metadata (owner's name, GPS position, camera serial, XMP, IPTC, a
comment, PNG text) and a rotation; the stored copy must keep none of the planted strings and the
EXIF orientation only, and decode to identical pixels."""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, PngImagePlugin, TiffImagePlugin

from microneedling.analysis.images import decode_photo
from microneedling.records.photo_store import clean_copy, write_once

NAME, SERIAL, PLACE = "Jane Q. Patient", "SN-99887766", "12 Elm Street"
GPS_IFD, ARTIST, SERIAL_TAG, DESCRIPTION = 0x8825, 0x013B, 0xA431, 0x010E


def pixels(height: int = 480, width: int = 640) -> np.ndarray:
    rng = np.random.default_rng(7)
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


def exif(orientation: int) -> Image.Exif:
    tags = Image.Exif()
    tags[0x0112] = orientation
    tags[ARTIST] = NAME
    tags[DESCRIPTION] = PLACE
    tags[SERIAL_TAG] = SERIAL
    tags[GPS_IFD] = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}
    return tags


def insert_segment(jpeg: bytes, marker: int, payload: bytes) -> bytes:
    return (
        jpeg[:2]
        + b"\xff"
        + bytes([marker])
        + struct.pack(">H", len(payload) + 2)
        + payload
        + jpeg[2:]
    )


def jpeg_with_metadata(orientation: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels()).save(buffer, format="JPEG", quality=90, exif=exif(orientation))
    data = buffer.getvalue()
    xmp = (
        b"http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta><dc:creator>"
        + NAME.encode()
        + b"</dc:creator></x:xmpmeta>"
    )
    data = insert_segment(data, 0xE1, xmp)
    data = insert_segment(data, 0xED, b"Photoshop 3.0\x008BIM\x04\x04\x00\x00" + PLACE.encode())
    return insert_segment(data, 0xFE, b"shot by " + NAME.encode())


def png_with_metadata(orientation: int) -> bytes:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", NAME)
    info.add_itxt("Description", PLACE)
    buffer = io.BytesIO()
    Image.fromarray(pixels()).save(buffer, format="PNG", pnginfo=info, exif=exif(orientation))
    return buffer.getvalue()


def tiff_with_metadata(orientation: int) -> bytes:
    info = TiffImagePlugin.ImageFileDirectory_v2()
    info[ARTIST] = NAME
    info[DESCRIPTION] = PLACE
    info[0x0112] = orientation
    buffer = io.BytesIO()
    Image.fromarray(pixels()).save(buffer, format="TIFF", tiffinfo=info)
    return buffer.getvalue()


MAKERS = {"JPEG": jpeg_with_metadata, "PNG": png_with_metadata, "TIFF": tiff_with_metadata}


@pytest.mark.parametrize("orientation", [1, 6, 3])
@pytest.mark.parametrize("kind", list(MAKERS))
def test_metadata_goes_and_the_pixels_stay(kind: str, orientation: int) -> None:
    original = MAKERS[kind](orientation)
    for planted in (NAME, PLACE):
        assert planted.encode() in original  # the test photo really carries them
    decoded = decode_photo(original)
    assert decoded.format == kind
    clean = clean_copy(original, decoded.format, decoded.rgb)
    for planted in (NAME, SERIAL, PLACE, "xmpmeta", "Photoshop"):
        assert planted.encode() not in clean.data
    assert np.array_equal(decode_photo(clean.data).rgb, decoded.rgb)
    assert clean.orientation == orientation
    with Image.open(io.BytesIO(clean.data)) as stored:
        tags = dict(stored.getexif())
        assert not set(getattr(stored, "text", {}) or {})
    expected = {} if orientation == 1 or kind == "TIFF" else {0x0112: orientation}
    assert tags == expected  # no GPS, artist, serial or description: at most the orientation
    if orientation in (6, 8):  # a turned photo: the analysed pixels are upright (width < height)
        assert decoded.rgb.shape[:2] == (640, 480)


def test_a_multi_picture_file_keeps_its_first_picture_only() -> None:
    first, second = jpeg_with_metadata(1), jpeg_with_metadata(6)
    clean = clean_copy(first + second, "MPO", decode_photo(first).rgb)
    assert clean.data.count(b"\xff\xd8") == 1 and clean.data.endswith(b"\xff\xd9")
    assert np.array_equal(decode_photo(clean.data).rgb, decode_photo(first).rgb)


def test_files_are_written_once(tmp_path: Path) -> None:
    path = write_once(tmp_path, "abcdef.png", b"first")
    assert path == tmp_path / "ab" / "abcdef.png"
    assert write_once(tmp_path, "abcdef.png", b"second").read_bytes() == b"first"
    assert [p.name for p in path.parent.iterdir()] == ["abcdef.png"]
