"""YAML round-trip of the document model.

In: an ``Edition`` (dump) or YAML text (load).
Out: YAML text carrying ``schema: <version>`` (dump) or an equal ``Edition`` (load).

The mapping is driven by the dataclasses' own type annotations, so adding a
field to the model needs no change here.  Members of a union (``Block``,
``Inline``) carry a ``type:`` tag naming their class; nothing else does.
Loading is strict: an unknown key, a missing field or a wrong type raises
``ModelError`` with the path of the offending value.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Union

import yaml

from . import model
from .model import SCHEMA_VERSION, Edition


class ModelError(ValueError):
    """A model YAML document that does not fit the schema."""


class _Flow(list):
    """A list dumped on one line: ``span: [7, 9]``."""


class _Dumper(yaml.SafeDumper):
    pass


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    # YAML folds NEL and the Unicode line separators inside plain and single-quoted
    # scalars; double quotes escape them, so the text comes back unchanged.
    style = '"' if any(ch in data for ch in "\x85\u2028\u2029") else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(
    _Flow, lambda dumper, data: dumper.represent_sequence(
        "tag:yaml.org,2002:seq", data, flow_style=True))


def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls, vars(model))


_HINTS = {name: _hints(cls) for name, cls in model.NODE_TYPES.items()}


def _is_union(tp: Any) -> bool:
    return typing.get_origin(tp) in (Union, types.UnionType)


def _to_data(value: Any, tp: Any) -> Any:
    if _is_union(tp):
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        if value is None:
            return None
        if len(members) == 1:
            return _to_data(value, members[0])
        data = _to_data(value, type(value))
        return {"type": type(value).__name__, **data}
    if typing.get_origin(tp) is tuple:
        (item_tp, *_rest) = typing.get_args(tp)
        return [_to_data(item, item_tp) for item in value]
    if tp is model.Span:
        return _Flow([value.first, value.last])
    if dataclasses.is_dataclass(tp):
        hints = _HINTS[tp.__name__]
        return {
            f.name: _to_data(getattr(value, f.name), hints[f.name])
            for f in dataclasses.fields(tp)
        }
    return value


def _from_data(data: Any, tp: Any, path: str) -> Any:
    if _is_union(tp):
        members = [a for a in typing.get_args(tp) if a is not type(None)]
        if data is None and type(None) in typing.get_args(tp):
            return None
        if len(members) == 1:
            return _from_data(data, members[0], path)
        if not isinstance(data, dict) or "type" not in data:
            raise ModelError(f"{path}: expected a mapping with a 'type' key")
        name = data["type"]
        cls = model.NODE_TYPES.get(name) if isinstance(name, str) else None
        if cls not in members:
            allowed = ", ".join(m.__name__ for m in members)
            raise ModelError(f"{path}.type: {name!r} is not one of {allowed}")
        rest = {k: v for k, v in data.items() if k != "type"}
        return _from_data(rest, cls, path)
    if typing.get_origin(tp) is tuple:
        (item_tp, *_rest) = typing.get_args(tp)
        if not isinstance(data, list):
            raise ModelError(f"{path}: expected a list")
        return tuple(_from_data(item, item_tp, f"{path}[{i}]") for i, item in enumerate(data))
    if tp is model.Span:
        if (
            not isinstance(data, list)
            or len(data) != 2
            or not all(type(n) is int for n in data)
        ):
            raise ModelError(f"{path}: expected [first, last] line numbers")
        return model.Span(data[0], data[1])
    if dataclasses.is_dataclass(tp):
        if not isinstance(data, dict):
            raise ModelError(f"{path}: expected a mapping for {tp.__name__}")
        hints = _HINTS[tp.__name__]
        known = {f.name: f for f in dataclasses.fields(tp)}
        for key in data:
            if key not in known:
                raise ModelError(f"{path}.{key}: unknown key for {tp.__name__}")
        kwargs = {}
        for name, f in known.items():
            if name in data:
                kwargs[name] = _from_data(data[name], hints[name], f"{path}.{name}")
            elif f.default is dataclasses.MISSING:
                raise ModelError(f"{path}.{name}: missing for {tp.__name__}")
        return tp(**kwargs)
    if tp is bool:
        if type(data) is not bool:
            raise ModelError(f"{path}: expected true or false")
        return data
    if tp is str:
        if not isinstance(data, str):
            raise ModelError(f"{path}: expected text, got {type(data).__name__}")
        return data
    if tp is int:
        if type(data) is not int:
            raise ModelError(f"{path}: expected a whole number")
        return data
    raise ModelError(f"{path}: cannot read a value of type {tp!r}")


def to_data(edition: Edition) -> dict[str, Any]:
    """The edition as plain YAML-ready data, with the schema version first."""
    return {"schema": SCHEMA_VERSION, **_to_data(edition, Edition)}


def from_data(data: Any) -> Edition:
    """Rebuild an edition from plain data, checking every key and type."""
    if not isinstance(data, dict):
        raise ModelError("model: expected a mapping at the top")
    version = data.get("schema")
    if version != SCHEMA_VERSION:
        raise ModelError(f"schema: version {version!r} is not {SCHEMA_VERSION}")
    rest = {k: v for k, v in data.items() if k != "schema"}
    return _from_data(rest, Edition, "model")


def dump(edition: Edition) -> str:
    """YAML text for an edition (UTF-8 characters kept readable, key order kept)."""
    return yaml.dump(
        to_data(edition), Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100_000
    )


def load(text: str) -> Edition:
    """The edition a YAML text describes; ``ModelError`` if it does not fit."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ModelError(f"model YAML: {error}".replace("\n", " ")) from None
    return from_data(data)
