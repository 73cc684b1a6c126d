"""Consent texts: the bundled versions load and cite known sources, the version in effect is the
latest not after the date, and the hash is that of the exact plain text."""

from __future__ import annotations

import copy
import hashlib
from datetime import date
from pathlib import Path

import pytest
import yaml

from microneedling.core.data import read_data, sources
from microneedling.core.errors import ValidationError
from microneedling.protocol import consent
from microneedling.protocol.warning_signs import warning_signs

REQUIRED_TOPICS = ("infection", "hyperpigmentation", "granuloma", "herpes", "alternatives", "photo")


def test_bundled_texts_cover_the_required_topics_with_sources() -> None:
    texts = consent.consent_texts()
    treatment = consent.current_version("treatment", date(2026, 12, 1), texts)
    plain = consent.consent_text(treatment).lower()
    for topic in REQUIRED_TOPICS:
        assert topic in plain, topic
    assert "day" in plain and "redness" in plain
    known = set(sources())
    for kind in consent.KINDS:
        for version in texts.versions(kind):
            for section in version.sections:
                assert set(section.sources) <= known


def test_hash_is_of_the_exact_text_shown() -> None:
    version = consent.current_version("research_photos", date(2026, 12, 1))
    text = consent.consent_text(version)
    assert consent.text_sha256(version) == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert all(f"[ ] {s.text}" in text for s in version.statements)


def _write(tmp_path: Path, second_effective: str) -> Path:
    raw = read_data("consent.yaml")
    second = copy.deepcopy(raw["treatment"][0]) | {"version": "2", "effective": second_effective}
    second["title"] = "Consent to microneedling, revised"
    raw["treatment"] = [raw["treatment"][0], second]
    path = tmp_path / "consent.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def test_version_in_effect_follows_the_date(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(consent.CONSENT_FILE_ENV, str(_write(tmp_path, "2027-03-01")))
    assert consent.current_version("treatment", date(2027, 2, 28)).version == "1"
    assert consent.current_version("treatment", date(2027, 3, 1)).version == "2"
    with pytest.raises(ValidationError, match="no treatment consent text is in effect before"):
        consent.current_version("treatment", date(2025, 1, 1))
    v1, v2 = (consent.find_version("treatment", v) for v in ("1", "2"))
    assert consent.text_sha256(v1) != consent.text_sha256(v2)


def test_versions_out_of_date_order_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(consent.CONSENT_FILE_ENV, str(_write(tmp_path, "2025-01-01")))
    with pytest.raises(ValidationError, match="effective dates must increase"):
        consent.consent_texts()


def test_warning_signs_are_sourced() -> None:
    signs = warning_signs()
    codes = {s.code for s in signs.signs}
    assert {"fever", "pus", "spreading_redness", "blisters", "severe_pain"} <= codes
    assert signs.redness_beyond_days.days == 7
    assert {s.source for s in signs.signs} <= set(sources())
