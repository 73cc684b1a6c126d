"""The cross-talk matrix on the full grid of planted ladders (`make bench`).

Five levels per ladder (the tests run three); features planted in a cheek rectangle annotated by
hand on the astronaut portrait (tests/analysis/data/hand_regions.yaml) and measured there; the
other cheek is the control. Prints the matrix, the stated criteria and each ladder's verdict.
"""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from microneedling.analysis.crosstalk import LADDERS, format_matrix, run_ladders

HAND = Path(__file__).resolve().parents[1] / "tests" / "analysis" / "data" / "hand_regions.yaml"


def main() -> None:
    cv2.setNumThreads(1)
    start = time.perf_counter()
    responses = list(run_ladders(HAND).values())
    print(format_matrix(responses))
    photos = sum(len(x.levels) for x in LADDERS)
    print(f"{photos} photos planted and measured in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
