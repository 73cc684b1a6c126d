"""The Dask worker plugin: pin threads and load the face-landmark models once per worker."""

from __future__ import annotations

from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin


class WarmUp(WorkerPlugin):
    """Runs once when a worker starts (or joins): one thread, landmark models loaded."""

    name = "microneedling-warm-up"

    def setup(self, worker: Any) -> None:
        from microneedling.cohort.runner import warm_up

        warm_up()
