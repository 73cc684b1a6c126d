"""Per-photo results on disk: one small JSON part per photo, written atomically, then compacted.

A part is named by the photo's key: the SHA-256 of its decoded, upright pixels and the analysis
version (metric code, landmark model, settings). It is written the moment its photo finishes, by
a temporary file renamed into place, so a killed client or worker loses nothing already written
and a rerun finds it. ``compact`` turns the parts of a manifest into one long table: one row per
photo x zone x metric, with patient, visit, day, quality flags and the analysis version.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from microneedling.cohort.manifest import ManifestRow

__all__ = [
    "FAILED",
    "MEASURED",
    "analysis_version",
    "part_path",
    "photo_key",
    "read_part",
    "write_part",
]

MEASURED = "measured"
FAILED = "failed"
PARTS = "parts"
RESULT_COLUMNS = (
    "patient",
    "visit",
    "date",
    "day",
    "view",
    "session",
    "indication",
    "fitzpatrick",
    "birth_year",
    "photo",
    "key",
    "analysis_version",
    "status",
    "reason",
    "quality_ok",
    "quality_failed",
    "white_balance_fallback",
    "zone",
    "metric",
    "value",
)


@cache
def _code_digest() -> str:
    """SHA-256 of the analysis package's source: any change to the metric code changes it."""
    digest = hashlib.sha256()
    package = resources.files("microneedling.analysis")
    for entry in sorted(package.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".py"):
            digest.update(entry.name.encode())
            digest.update(entry.read_bytes())
    return digest.hexdigest()[:16]


@cache
def analysis_version() -> str:
    """What a result depends on: the metric code, the landmark model and the settings."""
    from microneedling.analysis.landmarks import MODEL
    from microneedling.analysis.pipeline import ANALYSIS_VERSION
    from microneedling.analysis.settings import analysis_settings

    settings = json.dumps(analysis_settings().model_dump(mode="json"), sort_keys=True)
    settings_digest = hashlib.sha256(settings.encode()).hexdigest()[:12]
    return f"{ANALYSIS_VERSION}+{MODEL}+code-{_code_digest()}+settings-{settings_digest}"


def photo_key(rgb: NDArray[np.uint8], version: str) -> str:
    """SHA-256 of the decoded, upright pixels (shape included) and the analysis version."""
    digest = hashlib.sha256()
    digest.update(f"{rgb.shape}|{rgb.dtype}|{version}|".encode())
    digest.update(np.ascontiguousarray(rgb).data)
    return digest.hexdigest()


def failure_key(data: bytes, version: str) -> str:
    """The key of a photo that could not be decoded: its file's bytes and the version."""
    return "file-" + hashlib.sha256(data + version.encode()).hexdigest()


def part_path(out_dir: Path, key: str) -> Path:
    return out_dir / PARTS / key[:2] / f"{key}.json"


def write_part(out_dir: Path, key: str, record: dict[str, Any]) -> Path:
    """Write one photo's record atomically (temporary file, fsync, rename)."""
    path = part_path(out_dir, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{key}.", suffix=".partial")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(record, handle, sort_keys=True, default=_plain)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(name, path)
    finally:
        Path(name).unlink(missing_ok=True)
    return path


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")


def read_part(out_dir: Path, key: str) -> dict[str, Any] | None:
    """A stored record, or None when there is none (or it cannot be read: it is redone)."""
    try:
        record: dict[str, Any] = json.loads(part_path(out_dir, key).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record


def source_id(path: Path) -> str:
    """Where a photo file is and which version of it: path, size and modification time."""
    stat = path.stat()
    return f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"


def index_parts(out_dir: Path, version: str) -> dict[str, str]:
    """The keys of stored records of this version, by the source file they were made from."""
    index: dict[str, str] = {}
    for path in sorted((out_dir / PARTS).glob("*/*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if record.get("version") == version and record.get("source"):
            index[record["source"]] = record["key"]
    return index


@dataclass(frozen=True)
class Outcome:
    """What became of one manifest row in a run."""

    row: int
    key: str | None
    status: str  # analysed, cached (found on disk), failed, lost (the worker died every time)
    reason: str = ""
    cpu_s: float = 0.0  # CPU time the task took on its worker (process time)


def _quality_failed(summary: dict[str, Any]) -> str:
    return ",".join(c["name"] for c in summary["quality"]["checks"] if not c["ok"])


def table_rows(
    row: ManifestRow, baseline: ManifestRow, record: dict[str, Any] | None, reason: str = ""
) -> list[dict[str, Any]]:
    """The long-table rows of one manifest row: one per zone and metric, or one for a failure."""
    base = {
        "patient": row.patient,
        "visit": row.visit,
        "date": row.date.isoformat(),
        "day": (row.date - baseline.date).days,
        "view": row.view,
        "session": row.session,
        "indication": row.indication,
        "fitzpatrick": row.fitzpatrick,
        "birth_year": row.birth_year,
        "photo": str(row.photo),
    }
    if record is None or record["status"] != MEASURED:
        return [
            base
            | {
                "key": record["key"] if record else None,
                "analysis_version": record["version"] if record else None,
                "status": FAILED,
                "reason": record["reason"] if record else reason,
                "quality_ok": False,
                "quality_failed": "",
                "white_balance_fallback": False,
                "zone": None,
                "metric": None,
                "value": None,
            }
        ]
    summary = record["summary"]
    common = base | {
        "key": record["key"],
        "analysis_version": record["version"],
        "status": MEASURED,
        "reason": "",
        "quality_ok": bool(summary["quality"]["ok"]),
        "quality_failed": _quality_failed(summary),
        "white_balance_fallback": bool(summary["white_balance"].get("fallback", False)),
    }
    out = []
    for zone in summary["zones"]:
        for metric, value in zone.items():
            if metric == "zone":
                continue
            number = None if value is None else float(value)
            out.append(common | {"zone": zone["zone"], "metric": metric, "value": number})
    return out
