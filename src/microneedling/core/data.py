"""Read the bundled data files (``microneedling/data/*.yaml``) and their bibliography, and parse
user-supplied YAML or JSON files within bounds.

Every YAML or JSON document, bundled or a user's, goes through :func:`parse_document`: a size
limit, no YAML anchors or aliases (a few hundred bytes of nested aliases expand to gigabytes), a
nesting limit (deep documents end in RecursionError elsewhere) and no duplicate keys (the last one
would silently win). Each refusal is one ``ValidationError`` naming the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

import yaml
from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from microneedling.core.errors import ValidationError

MAX_FILE_BYTES = 5_000_000
"""The largest YAML or JSON file a user may hand in (a 5,000-patient clinic file is ~2 MB)."""
MAX_NESTING = 32
"""The deepest nesting of mappings and lists a document may have (clinic files need 6)."""

_CLoader: Any = getattr(yaml, "CSafeLoader", None)
_FastLoader: Any = _CLoader or yaml.SafeLoader


class _FileError(Exception):
    """A refusal found while parsing; turned into a ValidationError naming the file."""


def _mark(node_or_event: Any) -> str:
    mark = getattr(node_or_event, "start_mark", None)
    return f" (line {mark.line + 1})" if mark is not None else ""


def _scan_yaml(text: str, max_depth: int) -> None:
    """One pass over the parser's events, before anything is built: refuse anchors, aliases
    and nesting deeper than ``max_depth``."""
    depth = 0
    for event in yaml.parse(text, Loader=_FastLoader):
        anchor = getattr(event, "anchor", None)
        if isinstance(event, yaml.AliasEvent):
            raise _FileError(f"YAML aliases (*{anchor}) are not allowed{_mark(event)}")
        if anchor is not None:
            raise _FileError(f"YAML anchors (&{anchor}) are not allowed{_mark(event)}")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > max_depth:
                raise _FileError(f"nested deeper than {max_depth} levels{_mark(event)}")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


class _UniqueKeyLoader(_FastLoader):  # type: ignore[misc]
    """The safe loader, refusing a mapping that repeats a key (and merge keys, ``<<``)."""

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise _FileError(f"YAML merge keys (<<) are not allowed{_mark(key_node)}")
            key = self.construct_object(key_node, deep=True)
            try:
                repeated = key in seen
            except TypeError:
                raise _FileError(f"a mapping key must be a plain value{_mark(key_node)}") from None
            if repeated:
                raise _FileError(f"duplicate key {key!r}{_mark(key_node)}")
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for key, value in pairs:
        if key in mapping:
            raise _FileError(f"duplicate key {key!r}")
        mapping[key] = value
    return mapping


def _no_constant(name: str) -> NoReturn:
    raise _FileError(f"{name} is not a number")


def _children(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        yield from value.values()
    elif isinstance(value, list):
        yield from value


def _check_depth(document: Any, max_depth: int) -> None:
    """Refuse nesting deeper than ``max_depth``, walking without recursion."""
    stack = [(document, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth + 1 > max_depth:
                raise _FileError(f"nested deeper than {max_depth} levels")
            stack.extend((child, depth + 1) for child in _children(value))


def _parse_json(text: str, max_depth: int) -> Any:
    try:
        document = json.loads(text, object_pairs_hook=_unique_pairs, parse_constant=_no_constant)
    except RecursionError:
        raise _FileError(f"nested deeper than {max_depth} levels") from None
    except json.JSONDecodeError as exc:
        raise _FileError(f"not valid JSON: {exc.msg} (line {exc.lineno})") from None
    except ValueError:  # an integer of more than 4,300 digits
        raise _FileError("not valid JSON: a number is too long") from None
    _check_depth(document, max_depth)
    return document


def _yaml_problem(exc: yaml.YAMLError) -> str:
    """The parser's one-line problem and its line, without the context it quotes."""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    mark = getattr(exc, "problem_mark", None)
    return f"{problem} (line {mark.line + 1})" if mark is not None else str(problem)


def _parse_yaml(text: str, max_depth: int) -> Any:
    try:
        _scan_yaml(text, max_depth)
        return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass: no Python tags
    except yaml.YAMLError as exc:
        raise _FileError(f"not valid YAML: {_yaml_problem(exc)}") from None
    except ValueError:  # an integer of more than 4,300 digits
        raise _FileError("not valid YAML: a number is too long") from None


def parse_document(
    text: str, field: str, *, json_format: bool = False, max_depth: int = MAX_NESTING
) -> Any:
    """Parse YAML (or JSON) text within the bounds above; ``field`` names it in every error."""
    try:
        return _parse_json(text, max_depth) if json_format else _parse_yaml(text, max_depth)
    except _FileError as exc:
        raise ValidationError(field, str(exc)) from None


def read_file_bytes(path: Path, field: str | None = None, *, max_bytes: int) -> bytes:
    """A user's file as bytes, refused past ``max_bytes`` without reading more than that (a FIFO
    or a device such as ``/dev/zero`` included)."""
    where = field or str(path)
    try:
        if path.is_dir():
            raise ValidationError(where, "is a folder, not a file")
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise ValidationError(where, "no such file") from None
    except OSError as exc:
        raise ValidationError(where, f"cannot read: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise ValidationError(where, f"file is larger than {max_bytes:,} bytes")
    return data


def read_text_file(path: Path, field: str | None = None, *, max_bytes: int = MAX_FILE_BYTES) -> str:
    """A user's UTF-8 text file, refused past ``max_bytes`` without reading more than that
    (a FIFO or device file included)."""
    data = read_file_bytes(path, field, max_bytes=max_bytes)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError(field or str(path), "not a UTF-8 text file") from None


def load_user_file(
    path: Path,
    field: str | None = None,
    *,
    max_bytes: int = MAX_FILE_BYTES,
    max_depth: int = MAX_NESTING,
) -> Any:
    """Read and parse a user's YAML or JSON file (JSON by its ``.json`` suffix) within bounds:
    at most ``max_bytes``, no anchors or aliases, at most ``max_depth`` levels, no repeated key."""
    where = field or str(path)
    text = read_text_file(path, where, max_bytes=max_bytes)
    return parse_document(
        text, where, json_format=path.suffix.lower() == ".json", max_depth=max_depth
    )


def read_data(name: str) -> Any:
    """Parse one bundled YAML data file, under the same rules as a user's."""
    text = resources.files("microneedling.data").joinpath(name).read_text(encoding="utf-8")
    return parse_document(text, name)


@cache
def sources() -> dict[str, str]:
    """The bibliography: key -> full reference. Every number in the data files cites a key."""
    return dict(read_data("sources.yaml"))


def first_error(
    exc: PydanticValidationError, prefix: str = "", default: str = "data"
) -> ValidationError:
    """The first pydantic error as our ValidationError, with a dotted field path
    (``default`` names the field when the error is about the whole document)."""
    first = exc.errors()[0]
    where = ""
    for part in first["loc"]:
        where += f"[{part}]" if isinstance(part, int) else (f".{part}" if where else str(part))
    return ValidationError(f"{prefix}{where}" or default, first["msg"])


def check_sources(model: BaseModel, cited: set[str]) -> None:
    """Fail loudly when a data file cites a source key that the bibliography lacks."""
    unknown = sorted(cited - set(sources()))
    if unknown:
        raise ValueError(f"{type(model).__name__}: unknown source keys {unknown}")
