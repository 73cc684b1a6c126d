"""Record mediapipe 0.10.21's own 478 landmarks of the reference photos (run once, kept as data).

This is how ``mediapipe_0.10.21_reference.npz`` was made, before the mediapipe pin was removed:

    pip install mediapipe==0.10.21   # Python 3.11/3.12, NumPy < 2
    PYTHONPATH=. python tests/analysis/data/record_mediapipe_reference.py

Each entry is the output of ``mp.solutions.face_mesh.FaceMesh(static_image_mode=True,
refine_landmarks=True)`` (the attention model, 478 points) on the full image, in image
pixels (x, y, z), plus the image's height and width. The images are made by ``reference_images`` in
``tests/analysis/test_landmarks_reference.py`` so the test rebuilds exactly what was measured here.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def main() -> None:
    import mediapipe as mp  # type: ignore[import-not-found]
    from tests.analysis.test_landmarks_reference import reference_images

    mesh = mp.solutions.face_mesh.FaceMesh(
        static_image_mode=True, max_num_faces=1, refine_landmarks=True
    )
    from microneedling.analysis.synthetic import SAMPLE_SERIES, make_photo

    images = dict(reference_images())
    # The bundled sample photos: features planted where the landmarks of the day put the zones, so
    # these three are rebuilt slightly differently once the runtime changes (a few planted spots).
    images.update({f"sample-{name}": make_photo(plan).rgb for name, plan in SAMPLE_SERIES})
    out: dict[str, np.ndarray] = {}
    for name, rgb in images.items():
        result = mesh.process(np.ascontiguousarray(rgb))
        (face,) = result.multi_face_landmarks
        h, w = rgb.shape[:2]
        points = np.array([[m.x * w, m.y * h, m.z * w] for m in face.landmark])
        out[name] = points.astype(np.float32)
        out[f"{name}_shape"] = np.array([h, w])
        print(name, rgb.shape, points.shape)
    out["mediapipe_version"] = np.array(mp.__version__)
    np.savez_compressed(Path(__file__).with_name("mediapipe_0.10.21_reference.npz"), **out)


if __name__ == "__main__":
    main()
