"""Photo input: formats, EXIF orientation, and every kind of bad file refused with a reason."""

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from microneedling.analysis.images import decode_photo, read_photo
from microneedling.analysis.landmarks import detect_landmarks
from microneedling.analysis.synthetic import base_face
from microneedling.core.errors import ValidationError


def encode(rgb: np.ndarray, kind: str, **kwargs: object) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format=kind, **kwargs)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def face() -> np.ndarray:
    return base_face()[0]


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "TIFF"])
def test_formats(face: np.ndarray, kind: str) -> None:
    photo = decode_photo(encode(face[:800, 600:1400], kind))
    assert photo.rgb.shape == (800, 800, 3)
    assert len(photo.sha256) == 64


def test_exif_orientation_is_honoured(face: np.ndarray) -> None:
    crop = face[200:1000, 500:1500]  # 800 tall, 1000 wide
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    photo = decode_photo(encode(crop, "JPEG", exif=exif.tobytes()))
    assert photo.rgb.shape[:2] == (1000, 800)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b"hello, I am a text file", "not an image"),
        (encode(np.zeros((100, 100, 3), np.uint8), "PNG"), "too small"),
        (encode(np.zeros((600, 600, 3), np.uint8), "GIF"), "GIF images are not supported"),
    ],
)
def test_bad_files_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(ValidationError) as err:
        decode_photo(data, "upload.jpg")
    assert err.value.field == "upload.jpg" and reason in err.value.reason


def test_truncated_file_is_refused(face: np.ndarray) -> None:
    data = encode(face, "JPEG")
    with pytest.raises(ValidationError, match="truncated"):
        decode_photo(data[: len(data) // 3])


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="no such file"):
        read_photo(tmp_path / "missing.jpg")
    with pytest.raises(ValidationError, match="directory"):
        read_photo(tmp_path)


def test_no_face_two_faces_small_face(face: np.ndarray) -> None:
    blank = np.full((800, 800, 3), 180, np.uint8)
    with pytest.raises(ValidationError, match="no face found"):
        detect_landmarks(blank)
    crop = face[100:1100, 500:1500]
    with pytest.raises(ValidationError, match="2 faces found; photograph one patient"):
        detect_landmarks(np.hstack([crop, crop]))
    tiny = np.full((1600, 1600, 3), 200, np.uint8)
    small = np.asarray(Image.fromarray(crop).resize((500, 500)))
    tiny[500:1000, 500:1000] = small
    with pytest.raises(ValidationError, match="1 face found but too small"):
        detect_landmarks(tiny)


def test_group_photo_of_small_faces_says_so(face: np.ndarray) -> None:
    """Six faces of ~190 px (a group photo) are too small for the whole-frame detector: the error
    says how many faces were found and that they are too small, not "no face found"."""
    head = np.asarray(Image.fromarray(face[100:1100, 500:1500]).resize((190, 190)))
    group = np.full((1000, 1800, 3), 120, np.uint8)
    for row in range(2):
        for col in range(3):
            y, x = 200 + row * 400, 200 + col * 550
            group[y : y + 190, x : x + 190] = head
    with pytest.raises(ValidationError) as err:
        detect_landmarks(group, "group.jpg")
    assert err.value.field == "group.jpg"
    assert err.value.reason.startswith("6 faces found but too small")
