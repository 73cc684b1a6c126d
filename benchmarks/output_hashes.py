"""Hashes of the analysis's outputs, to show a speed change leaves every number as it was.

`python -m benchmarks.output_hashes` analyses the benchmark's photos (3 and 12 MP, and 12 MP with
the face filling the frame, each decoded in full and at the working resolution, as
`bench_analysis.py` makes them) and the planted faces of the skin-tone table (the bare face, its
four levels, and level 3 re-toned dark), and prints one hash per photo of everything the analysis
reports (its summary less the timings, and the overlay's arrays), then one over them all. Run it
before and after a change meant to be bit-identical: the last line must not move. The tables
(`make bench`) run on the planted faces only; the benchmark photos take the real-photo path
(the working-resolution crop and the reduced searches).
"""

from __future__ import annotations

import hashlib
import json

import cv2
import numpy as np

from benchmarks.bench_analysis import CASES, clinical_photo
from benchmarks.bench_skin_tones import LEVELS, planted_face
from microneedling.analysis.images import analysis_ipd_px, decode_photo
from microneedling.analysis.pipeline import PhotoAnalysis, analyze
from microneedling.analysis.skin_tone import category, tone_photo


def output_hash(result: PhotoAnalysis) -> str:
    """SHA-256 (16 hex digits) of the summary without timings and of the overlay's arrays."""
    summary = result.summary()
    summary.pop("timings_s", None)
    digest = hashlib.sha256(json.dumps(summary, sort_keys=True, default=str).encode())
    o = result.overlay
    for array in (o.labels, o.pores, o.pore_radii, o.scars, o.scar_radii, o.wrinkles, o.red):
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()[:16]


def hashes() -> dict[str, str]:
    out: dict[str, str] = {}
    for label, (width, height, framing) in CASES.items():
        data = clinical_photo(width, height, framing)
        out[f"{label}, full decode"] = output_hash(analyze(decode_photo(data).rgb))
        working = decode_photo(data, reduce_to_ipd_px=analysis_ipd_px())
        out[f"{label}, working decode"] = output_hash(analyze(working.rgb))
    for level in range(len(LEVELS) + 1):
        out[f"planted face, level {level}"] = output_hash(analyze(planted_face(level).rgb))
    dark = tone_photo(planted_face(3), category("dark").target)
    out["planted face, level 3, dark"] = output_hash(analyze(dark.rgb))
    return out


def main() -> None:
    cv2.setNumThreads(1)
    found = hashes()
    for label, value in found.items():
        print(f"{value}  {label}")
    print(f"{hashlib.sha256(''.join(found.values()).encode()).hexdigest()[:16]}  all")


if __name__ == "__main__":
    main()
