"""A small synthetic cohort, generated and measured once for the cohort tests."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pytest

from microneedling.cohort.manifest import Manifest, load_manifest
from microneedling.cohort.runner import RunSummary, run_cohort
from microneedling.cohort.synthetic import CohortPlan, SyntheticCohort, make_cohort

# 11 patients x 2 visits, 3 bad photos (one blurred, one turned, one cut off): 8 complete pairs,
# enough for a Wilcoxon p of 1/128 per zone and a Holm-corrected p < 0.05 over four zones.
PLAN = CohortPlan(patients=11, visits=2, bad_share=0.14, size_px=1024, seed=3)


@dataclass(frozen=True)
class Measured:
    cohort: SyntheticCohort
    manifest: Manifest
    run: RunSummary
    results: pd.DataFrame


@pytest.fixture(scope="session")
def measured_cohort(tmp_path_factory: pytest.TempPathFactory) -> Measured:
    folder = tmp_path_factory.mktemp("cohort")
    cohort = make_cohort(PLAN, folder / "photos")
    manifest = load_manifest(cohort.manifest)
    run = run_cohort(manifest, folder / "results", workers=0)
    return Measured(cohort, manifest, run, pd.read_parquet(run.results))
