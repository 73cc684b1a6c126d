"""User files (YAML or JSON) are parsed within bounds: size, no aliases, nesting, unique keys."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
import yaml

from microneedling.core.data import (
    MAX_NESTING,
    load_user_file,
    parse_document,
    read_data,
    read_text_file,
)
from microneedling.core.errors import ValidationError
from microneedling.protocol import knowledge
from microneedling.services import importer
from microneedling.simulate.devices import load_devices_file
from tests.cli.conftest import Cli, refused

# The 463-byte kind of file from the issue: nine levels of anchors, each level nine aliases of the
# one before, expanding to 9**9 strings (76 s and 6 GB with a plain safe_load).
LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
)


def test_alias_bomb_is_refused_naming_the_file_and_the_anchor() -> None:
    with pytest.raises(ValidationError) as err:
        parse_document(LAUGHS, "clinic.yaml")
    assert err.value.field == "clinic.yaml"
    assert "anchors (&a) are not allowed (line 1)" in err.value.reason


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("a: 1\nb: *x\n", "aliases (*x) are not allowed (line 2)"),
        ("a: &x 1\nb: 2\n", "anchors (&x)"),  # an anchor alone is refused too
        ("base: {a: 1}\nother:\n  <<: {b: 2}\n", "merge keys (<<)"),
    ],
)
def test_anchors_aliases_and_merge_keys(text: str, reason: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_document(text, "f.yaml")
    assert reason in err.value.reason


@pytest.mark.parametrize(
    ("text", "json_format"),
    [
        ("[" * 500 + "]" * 500, True),
        ('{"a":' * 500 + "1" + "}" * 500, True),
        ("[" * 500 + "]" * 500, False),
        ("- " * 500 + "x\n", False),
        ("".join(f"{'  ' * i}k{i}:\n" for i in range(500)) + "  " * 500 + "v\n", False),
    ],
)
def test_deep_nesting_is_refused_not_a_recursion_error(text: str, json_format: bool) -> None:
    with pytest.raises(ValidationError, match=f"nested deeper than {MAX_NESTING} levels"):
        parse_document(text, "deep", json_format=json_format)


def test_nesting_up_to_the_limit_is_read() -> None:
    text = "[" * MAX_NESTING + "]" * MAX_NESTING
    assert parse_document(text, "f", json_format=True) == parse_document(text, "f")
    with pytest.raises(ValidationError):
        parse_document("[" + text + "]", "f", json_format=True)


@pytest.mark.parametrize(
    ("text", "json_format", "reason"),
    [
        ("a: 1\nb: 2\na: 3\n", False, "duplicate key 'a' (line 3)"),
        ("patients:\n  - {code: P1, code: P2}\n", False, "duplicate key 'code' (line 2)"),
        ('{"a": 1, "a": 2}', True, "duplicate key 'a'"),
        ('{"x": [{"k": 1, "k": 1}]}', True, "duplicate key 'k'"),
    ],
)
def test_duplicate_keys_are_refused(text: str, json_format: bool, reason: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_document(text, "f", json_format=json_format)
    assert err.value.reason == reason


@pytest.mark.parametrize(
    ("text", "json_format", "reason"),
    [
        ('{"a": NaN}', True, "NaN is not a number"),
        ('{"a": -Infinity}', True, "-Infinity is not a number"),
        ("a: " + "9" * 5000, False, "a number is too long"),
        ("[" + "9" * 5000 + "]", True, "a number is too long"),
        ("a: !!python/object/apply:os.system [echo]", False, "could not determine a constructor"),
        ("{[1, 2]: x}", False, "mapping key must be a plain value"),
        ('{"a": ', True, "not valid JSON"),
    ],
)
def test_other_refusals_are_one_field_error(text: str, json_format: bool, reason: str) -> None:
    with pytest.raises(ValidationError) as err:
        parse_document(text, "f", json_format=json_format)
    assert reason in err.value.reason
    assert "\n" not in str(err.value)


def test_size_limit_reads_no_more_than_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: 1\n" * 100)
    assert read_text_file(path, max_bytes=500) == "a: 1\n" * 100
    with pytest.raises(ValidationError, match="larger than 499 bytes"):
        read_text_file(path, max_bytes=499)
    with pytest.raises(ValidationError, match="is a folder"):
        read_text_file(tmp_path)
    with pytest.raises(ValidationError, match="no such file"):
        load_user_file(tmp_path / "missing.json")


def test_json_by_suffix_and_yaml_otherwise(tmp_path: Path) -> None:
    (tmp_path / "f.json").write_text('{"a": [1, 2.5, true, null]}')
    (tmp_path / "f.yml").write_text("a: [1, 2.5, true, null]\n")
    expected = {"a": [1, 2.5, True, None]}
    assert load_user_file(tmp_path / "f.json") == expected == load_user_file(tmp_path / "f.yml")


def test_every_bundled_data_file_passes_the_same_rules() -> None:
    names = [
        f.name for f in resources.files("microneedling.data").iterdir() if f.name.endswith(".yaml")
    ]
    assert len(names) >= 10
    for name in names:
        assert isinstance(read_data(name), dict), name


# --- the files users hand in: clinic files, device files, the policy file ---


def _clinic() -> dict[str, Any]:
    return {
        "devices": [
            {
                "model": "Pen",
                "kind": "pen",
                "needle_count": 12,
                "depth_min_mm": 0.2,
                "depth_max_mm": 2.5,
            }
        ],
        "patients": [
            {
                "code": "P1",
                "birth_year": 1990,
                "fitzpatrick": "II",
                "assessments": [
                    {
                        "zone": "cheek_left",
                        "scale": "goodman_baron_qualitative",
                        "score": 3,
                        "rater": "Dr A",
                        "counts": {"macular": 4},
                    }
                ],
            }
        ],
    }


def test_a_well_formed_clinic_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "clinic.yaml"
    path.write_text(yaml.safe_dump(_clinic()))
    clinic = importer.read_clinic_file(path)
    assert clinic.patients[0].assessments[0].counts == {"macular": 4}
    assert clinic.patients[0].assessments[0].score == 3


@pytest.mark.parametrize(
    ("where", "key", "value", "field"),
    [
        ("assessment", "score", True, "patients[0].assessments[0].score"),
        ("assessment", "score", float("inf"), "patients[0].assessments[0].score"),
        ("assessment", "score", "3", "patients[0].assessments[0].score"),
        ("assessment", "counts", {"macular": 10**30}, "patients[0].assessments[0].counts.macular"),
        ("assessment", "counts", {"macular": -1}, "patients[0].assessments[0].counts.macular"),
        ("assessment", "counts", {"macular": True}, "patients[0].assessments[0].counts.macular"),
        ("assessment", "rater", "x" * 200, "patients[0].assessments[0].rater"),
        ("patient", "birth_year", 10**30, "patients[0].birth_year"),
        ("patient", "birth_year", True, "patients[0].birth_year"),
        ("patient", "code", 42, "patients[0].code"),
        ("device", "needle_count", 10**30, "devices[0].needle_count"),
        ("device", "depth_max_mm", float("nan"), "devices[0].depth_max_mm"),
    ],
)
def test_clinic_values_have_strict_types_and_bounds(
    tmp_path: Path, where: str, key: str, value: Any, field: str
) -> None:
    document = _clinic()
    target = {
        "device": document["devices"][0],
        "patient": document["patients"][0],
        "assessment": document["patients"][0]["assessments"][0],
    }[where]
    target[key] = value
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(document))
    with pytest.raises(ValidationError) as err:
        importer.read_clinic_file(path)
    assert err.value.field == field


def test_a_clinic_file_with_aliases_or_repeated_keys_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "laughs.yaml"
    path.write_text(LAUGHS)
    with pytest.raises(ValidationError, match=r"laughs\.yaml: YAML anchors"):
        importer.read_clinic_file(path)
    path = tmp_path / "twice.json"
    path.write_text(json.dumps({"patients": []})[:-1] + ', "patients": []}')
    with pytest.raises(ValidationError, match=r"twice\.json: duplicate key 'patients'"):
        importer.read_clinic_file(path)


def test_a_devices_file_is_read_within_the_same_bounds(tmp_path: Path) -> None:
    path = tmp_path / "devices.yaml"
    path.write_text(
        "pens:\n  - &p {model: A, needles: 12, frequency_hz: {min: 50, max: 100},\n"
        "        depth_mm: {min: 0.25, max: 2.0}, footprint_mm: 7}\n  - *p\n"
    )
    with pytest.raises(ValidationError, match="anchors"):
        load_devices_file(path)
    path.write_text(
        "pens:\n  - {model: A, needles: true, frequency_hz: {min: 50, max: 100},\n"
        "     depth_mm: {min: 0.25, max: 2.0}, footprint_mm: 7}\n"
    )
    with pytest.raises(ValidationError, match=r"pens\[0\]\.needles"):
        load_devices_file(path)


def test_the_policy_file_is_read_within_the_same_bounds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("screening_valid_days: 30\nscreening_valid_days: 3000\n")
    monkeypatch.setenv(knowledge.POLICY_ENV, str(path))
    with pytest.raises(ValidationError) as err:
        knowledge._read_policy()
    assert knowledge.POLICY_ENV in err.value.field
    assert err.value.reason == "duplicate key 'screening_valid_days' (line 2)"


def test_import_of_an_alias_bomb_fails_at_once_with_one_line(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "laughs.yaml"
    path.write_text(LAUGHS)
    message = refused(cli("import", str(path)), "laughs.yaml", "anchors")
    assert message.count("\n") == 1
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 500 + "]" * 500)
    refused(cli("import", str(deep)), "deep.json", "nested deeper")
