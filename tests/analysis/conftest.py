"""Synthetic photos with planted truth, analysed once per test session."""

from collections.abc import Callable

import pytest

from microneedling.analysis.pipeline import PhotoAnalysis, analyze
from microneedling.analysis.synthetic import Plan, SyntheticPhoto, make_photo

Analysed = tuple[SyntheticPhoto, PhotoAnalysis]


@pytest.fixture(scope="session")
def planted() -> Callable[[Plan], Analysed]:
    """Make (once) and analyse (once) the synthetic photo of a plan."""
    cache: dict[Plan, Analysed] = {}

    def get(plan: Plan) -> Analysed:
        if plan not in cache:
            photo = make_photo(plan)
            cache[plan] = (photo, analyze(photo.rgb))
        return cache[plan]

    return get


@pytest.fixture(scope="session")
def base(planted: Callable[[Plan], Analysed]) -> Analysed:
    return planted(Plan())
