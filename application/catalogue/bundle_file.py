"""The bundle definition file (shared/API.md), checked with marshmallow.

``parse_bundle_file`` turns a file's JSON into departments and ``BundleDef`` objects, or raises
``InvalidInput`` whose message and ``fields`` name the bundle and the field at fault.
"""

from __future__ import annotations

import re
from typing import Any

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from application.common.errors import InvalidInput
from domain.catalogue.definitions import INSPECTION_METHODS, QUESTION_TYPES, BundleDef, Department

CODE = validate.Regexp(r"^[a-z0-9][a-z0-9-]*$", error="use lower-case letters, digits and '-'")
POSITIVE = validate.Range(min=1, error="must be a positive whole number")
CODE_OR_SNAKE = validate.Regexp(r"^[a-z][a-z0-9_-]*$", error="use lower-case letters, digits, '_' and '-'")
NON_EMPTY = validate.Length(min=1)


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class DepartmentSchema(_Strict):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=NON_EMPTY)
    name_en = fields.String(load_default="")


class StageSchema(_Strict):
    code = fields.String(required=True, validate=NON_EMPTY)
    name = fields.String(required=True, validate=NON_EMPTY)
    name_en = fields.String(load_default="")


class MaterialSchema(_Strict):
    key = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=NON_EMPTY)
    name_en = fields.String(load_default="")
    deficiency_allowed = fields.Boolean(load_default=False)
    licence_types = fields.List(fields.String(validate=CODE), load_default=list)


class OutputSchema(_Strict):
    type = fields.String(required=True, validate=NON_EMPTY)
    name = fields.String(required=True, validate=NON_EMPTY)
    issued_on_approval = fields.Boolean(load_default=True)
    valid_years = fields.Integer(load_default=None, allow_none=True, strict=True, validate=POSITIVE)


class ItemSchema(_Strict):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=NON_EMPTY)
    name_en = fields.String(load_default="")
    department = fields.String(required=True, validate=NON_EMPTY)
    stage = fields.String(load_default=None, allow_none=True)
    category = fields.String(load_default=None, allow_none=True)
    time_limit_days = fields.Integer(required=True, strict=True, validate=POSITIVE)
    statutory_limit_days = fields.Integer(load_default=None, allow_none=True, strict=True, validate=POSITIVE)
    materials = fields.List(fields.String(), load_default=list)
    prerequisites = fields.List(fields.String(), load_default=list)
    commitment_allowed = fields.Boolean(load_default=False)
    inspection = fields.String(load_default=None, allow_none=True,
                               validate=validate.OneOf(INSPECTION_METHODS))
    essential = fields.Boolean(load_default=True)
    outputs = fields.List(fields.Nested(OutputSchema), load_default=list)
    rules = fields.Dict(load_default=None, allow_none=True)  # a GoRules decision, checked by the rules engine


class QuestionSchema(_Strict):
    key = fields.String(required=True, validate=CODE_OR_SNAKE)
    label = fields.String(required=True, validate=NON_EMPTY)
    label_en = fields.String(load_default="")
    type = fields.String(required=True, validate=validate.OneOf(QUESTION_TYPES))
    choices = fields.List(fields.String(validate=NON_EMPTY), load_default=list)
    required = fields.Boolean(load_default=True)
    choice_labels = fields.Dict(keys=fields.String(), values=fields.String(validate=NON_EMPTY), load_default=dict)
    choice_labels_en = fields.Dict(keys=fields.String(), values=fields.String(validate=NON_EMPTY), load_default=dict)


class FiguresSchema(_Strict):
    trips = fields.Integer(strict=True, validate=validate.Range(min=0))
    steps = fields.Integer(strict=True, validate=validate.Range(min=0))
    materials = fields.Integer(strict=True, validate=validate.Range(min=0))
    days = fields.Integer(strict=True, validate=validate.Range(min=0))


class BundleSchema(_Strict):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=NON_EMPTY)
    name_en = fields.String(load_default="")
    category = fields.String(load_default="")
    lead_department = fields.String(load_default=None, allow_none=True)
    stages = fields.List(fields.Nested(StageSchema), load_default=list)
    materials = fields.List(fields.Nested(MaterialSchema), load_default=list)
    items = fields.List(fields.Nested(ItemSchema), required=True, validate=NON_EMPTY)
    baseline = fields.Nested(FiguresSchema, load_default=dict)
    bundled = fields.Nested(FiguresSchema, load_default=dict)
    sample_data = fields.Boolean(load_default=False)
    note = fields.String(load_default="")
    questions = fields.List(fields.Nested(QuestionSchema), load_default=list)


class BundleFileSchema(Schema):
    class Meta:
        unknown = EXCLUDE  # room for comments such as "_note" at the top of a file

    departments = fields.List(fields.Nested(DepartmentSchema), load_default=list)
    bundles = fields.List(fields.Nested(BundleSchema), load_default=list)


def parse_bundle_file(data: Any) -> tuple[list[Department], list[BundleDef]]:
    """Check a parsed bundle file's shape and return its departments and definitions."""
    if not isinstance(data, dict):
        raise InvalidInput("a bundle file is a JSON object with 'departments' and 'bundles'")
    try:
        loaded = BundleFileSchema().load(data)
    except ValidationError as error:
        problems = _flatten(error.messages, data)
        first = next(iter(problems.items()))
        raise InvalidInput(f"{first[0]}: {'; '.join(first[1])}", problems) from None
    departments = [Department(**d) for d in loaded["departments"]]
    return departments, [BundleDef.from_dict(b) for b in loaded["bundles"]]


def _flatten(messages: Any, data: Any, path: str = "") -> dict[str, list[str]]:
    """Turn marshmallow's nested messages into ``{"bundles[restaurant-opening].items[2].x": [...]}``."""
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {path or "file": messages}
    flat: dict[str, list[str]] = {}
    for key, value in (messages.items() if isinstance(messages, dict) else enumerate(messages)):
        child = data[key] if _indexable(data, key) else None
        label = f"[{_name_of(child, key)}]" if isinstance(key, int) else (f".{key}" if path else str(key))
        flat.update(_flatten(value, child, path + label))
    return flat


def _indexable(data: Any, key: Any) -> bool:
    if isinstance(key, int):
        return isinstance(data, list) and 0 <= key < len(data)
    return isinstance(data, dict) and key in data


def _name_of(element: Any, index: int) -> str:
    if isinstance(element, dict):
        name = element.get("code") or element.get("key")
        if isinstance(name, str) and re.match(r"^[\w-]+$", name):
            return name
    return str(index)
