"""Photo work for the web: check an upload, analyse and store it off the request path, draw its
overlay, and compare two stored photos, with the same service functions the CLI calls.

An upload is checked before any work is queued: its size (``MAX_UPLOAD_BYTES``), that it is a
JPEG, PNG or TIFF by its own header (not its name), and its pixel count from the header alone,
so a decompression bomb (a small file that decodes to gigapixels) is refused with a clear
message without being decoded (the decoder refuses it again: ``analysis.images``).
"""

from __future__ import annotations

import io
import json
import secrets
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError

from microneedling.analysis.images import FORMATS, MAX_PIXELS, analysis_ipd_px, decode_photo
from microneedling.core.errors import NotFoundError, ValidationError
from microneedling.records import models
from microneedling.records.database import Database
from microneedling.records.photo_store import photo_dir
from microneedling.services import photos as photo_service
from microneedling.services.lookups import by_id

MAX_UPLOAD_BYTES = 40_000_000
"""The largest photo file the web takes (a 24 MP JPEG at the highest quality is ~15 MB; the CLI
reads up to ``analysis.images.MAX_FILE_BYTES``)."""

Progress = Callable[[float, str], None]
_KEY_CHARS = frozenset("0123456789abcdef")


def _bomb(size: str) -> str:
    return f"{size}: refused without decoding (it could be a decompression bomb); reduce the photo"


def check_upload(data: bytes, field: str = "photo") -> str:
    """Refuse an upload that is empty, too large, not a JPEG/PNG/TIFF, or over ``MAX_PIXELS``
    (read from the header, nothing decoded); returns the format."""
    if not data:
        raise ValidationError(field, "the file is empty")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationError(field, f"the file is larger than {MAX_UPLOAD_BYTES:,} bytes")
    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format or "unknown"
            width, height = image.size
    except UnidentifiedImageError:
        raise ValidationError(field, "not an image (JPEG, PNG or TIFF expected)") from None
    except Image.DecompressionBombError:  # past twice Pillow's own pixel limit
        raise ValidationError(field, _bomb(f"more than {2 * MAX_PIXELS // 1_000_000} MP")) from None
    except (OSError, SyntaxError, ValueError):
        raise ValidationError(
            field, "cannot read the image header; the file may be damaged"
        ) from None
    if kind not in FORMATS:
        raise ValidationError(field, f"{kind} images are not supported; use JPEG, PNG or TIFF")
    if width * height > MAX_PIXELS:
        raise ValidationError(
            field, _bomb(f"{width}x{height} px is larger than {MAX_PIXELS // 1_000_000} MP")
        )
    return kind


def overlay_file(photo: models.Photo) -> Path:
    """Where a stored photo's analysis overlay is kept (beside the photo store)."""
    return photo_dir() / "overlays" / f"{photo.sha256}.png"


def analyse_upload(
    database: Database,
    actor: str,
    *,
    patient_code: str,
    data: bytes,
    view: str = "front",
    session_id: int | None = None,
    taken_on: date | None = None,
    progress: Progress,
) -> dict[str, Any]:
    """Measure an uploaded photo, store it with its analysis, and draw its overlay (a job's work).

    The photo goes through ``services.photos.measure_photo`` and ``store_measured``, as
    ``microneedling analyze PHOTO --patient CODE`` does."""
    from microneedling.analysis.images import write_png
    from microneedling.reports.overlay import draw_overlay, legend

    progress(0.05, "reading the photo")
    with tempfile.TemporaryDirectory(prefix="upload-") as folder:
        path = Path(folder) / "upload"
        path.write_bytes(data)
        progress(0.1, "finding the face and measuring each zone")
        measured = photo_service.measure_photo(path, view=view)
    progress(0.8, "storing the photo and its measurements")
    with database.transaction(actor) as db:
        stored = photo_service.store_measured(
            db,
            measured,
            patient_code=patient_code,
            view=view,
            session_id=session_id,
            taken_on=taken_on,
        )
        photo = by_id(db, models.Photo, stored["photo_id"], "photo")
        target = overlay_file(photo)
    progress(0.9, "drawing the overlay")
    canvas = draw_overlay(measured.analysis)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_png(np.concatenate([canvas, legend(canvas.shape[1])], axis=0), target)
    return {
        "url": f"/photos/{stored['photo_id']}",
        "photo_id": stored["photo_id"],
        "capture_quality": "ok" if measured.summary["quality"]["ok"] else "check the reasons",
    }


def _patient_code(db: Any, photo: models.Photo) -> str:
    patient = db.get(models.Patient, photo.patient_id)
    return str(patient.code) if patient is not None else ""


def photo_view(db: Any, photo_id: int) -> dict[str, Any]:
    """A stored photo with its newest analysis (quality with reasons, metrics per zone)."""
    photo = by_id(db, models.Photo, photo_id, "photo")
    newest = photo.analyses[-1].summary if photo.analyses else None
    return {
        "id": photo.id,
        "patient": _patient_code(db, photo),
        "view": photo.view,
        "taken_on": photo.taken_on.isoformat(),
        "session_id": photo.session_id,
        "width": photo.width,
        "height": photo.height,
        "analysis": newest,
        "has_overlay": overlay_file(photo).is_file(),
    }


def stored_image(db: Any, photo_id: int) -> tuple[bytes, str]:
    """A stored photo's bytes (checked against its hash) and media type."""
    photo = by_id(db, models.Photo, photo_id, "photo")
    data = photo_service._stored_bytes(photo)
    suffix = Path(photo.stored_path).suffix.lower()
    kind = {".png": "image/png", ".tif": "image/tiff", ".tiff": "image/tiff"}.get(suffix)
    return data, kind or "image/jpeg"


def comparison_dir(key: str) -> Path:
    """The folder of one comparison's images and summary; ``key`` is 32 hex digits."""
    if len(key) != 32 or not set(key) <= _KEY_CHARS:
        raise NotFoundError("comparison", key[:40])
    return photo_dir() / "comparisons" / key


def compare_stored(
    database: Database,
    actor: str,
    *,
    before_id: int,
    after_id: int,
    repeats: int = 3,
    allow_poor_quality: bool = False,
    progress: Progress,
) -> dict[str, Any]:
    """Compare two stored photos of one patient (``services.photos.compare_photos``, as
    ``microneedling compare``) and keep the aligned images and the summary (a job's work)."""
    from microneedling.analysis.images import write_png
    from microneedling.reports.overlay import draw_comparison

    photo_service.check_repeats(repeats)
    with database.transaction(actor) as db:
        before = by_id(db, models.Photo, before_id, "photo")
        after = by_id(db, models.Photo, after_id, "photo")
        if before.patient_id != after.patient_id:
            raise ValidationError("after_id", "the two photos are of different patients")
        if before_id == after_id:
            raise ValidationError("after_id", "choose two different photos")
        patient = _patient_code(db, before)
        dates = (before.taken_on.isoformat(), after.taken_on.isoformat())
        raw = (photo_service._stored_bytes(before), photo_service._stored_bytes(after))
    progress(0.05, "decoding both photos")
    ipd = analysis_ipd_px()
    first = decode_photo(raw[0], f"photo {before_id}", reduce_to_ipd_px=ipd)
    second = decode_photo(raw[1], f"photo {after_id}", reduce_to_ipd_px=ipd)
    progress(0.15, f"aligning and measuring ({repeats} repeatability runs)")
    result = photo_service.compare_photos(
        first, second, repeats=repeats, allow_poor_quality=allow_poor_quality
    )
    progress(0.9, "drawing the comparison")
    key = secrets.token_hex(16)
    folder = comparison_dir(key)
    folder.mkdir(parents=True)
    left = result.before.overlay.rgb
    right = result.after.overlay.rgb
    if right.shape != left.shape:
        import cv2

        right = cv2.resize(right, (left.shape[1], left.shape[0]), interpolation=cv2.INTER_AREA)
    write_png(left, folder / "before.png")
    write_png(right, folder / "after.png")
    write_png(draw_comparison(result), folder / "side-by-side.png")
    summary = result.summary() | {
        "patient": patient,
        "before_id": before_id,
        "after_id": after_id,
        "before_taken_on": dates[0],
        "after_taken_on": dates[1],
        "repeats": repeats,
    }
    (folder / "summary.json").write_text(json.dumps(summary, default=str), encoding="utf-8")
    return {"url": f"/comparisons/{key}", "patient": patient}


def comparison_view(key: str) -> dict[str, Any]:
    """A finished comparison's summary (its images are ``image_file(key, name)``)."""
    path = comparison_dir(key) / "summary.json"
    if not path.is_file():
        raise NotFoundError("comparison", key)
    view: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return view | {"key": key}


def comparison_image(key: str, name: str) -> bytes:
    """One image of a comparison: ``before``, ``after`` (aligned) or ``side-by-side``."""
    if name not in ("before", "after", "side-by-side"):
        raise NotFoundError("comparison image", name)
    path = comparison_dir(key) / f"{name}.png"
    if not path.is_file():
        raise NotFoundError("comparison", key)
    return path.read_bytes()
