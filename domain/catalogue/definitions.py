"""Bundle definitions: what a published "one-thing" package contains, and its consistency rules.

A definition is immutable. The catalogue file format (shared/API.md) is parsed into these
objects by the application layer; ``check_definition`` enforces the rules that need the whole
definition at once (references, cycles, limits) and names the bundle and field that broke one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from domain.shared.errors import InvalidBundle, InvalidValue

INSPECTION_METHODS = ("video", "onsite")
QUESTION_TYPES = ("number", "text", "boolean", "choice", "date")
MAX_NUMBER = 2**53  # the largest answer a decision is given (integers exact in a double)
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class QuestionDef:
    """A fact a bundle asks of the applicant when a case is opened, for its rules (shared/API.md)."""

    key: str
    label: str
    type: str
    label_en: str = ""
    choices: tuple[str, ...] = ()
    required: bool = True
    choice_labels: Mapping[str, str] = field(default_factory=dict)  # a choice's words, Chinese
    choice_labels_en: Mapping[str, str] = field(default_factory=dict)  # and English (default: the choice)


@dataclass(frozen=True)
class Department:
    """A unit that owns and reviews items."""

    code: str
    name: str
    name_en: str = ""


@dataclass(frozen=True)
class MaterialDef:
    """A document the applicant submits once for every item that needs it."""

    key: str
    name: str
    name_en: str = ""
    deficiency_allowed: bool = False
    licence_types: tuple[str, ...] = ()  # e-licence types that satisfy it, reused from the holder's vault


@dataclass(frozen=True)
class StageDef:
    """A phase of a bundle."""

    code: str
    name: str
    name_en: str = ""


@dataclass(frozen=True)
class OutputDef:
    """A certificate type an approved item issues."""

    type: str
    name: str
    issued_on_approval: bool = True  # false: issued by a separate step later (a physical product)
    valid_years: int | None = None  # how long the certificate is valid; None: long-term (长期)


@dataclass(frozen=True)
class ItemDef:
    """One administrative matter inside a bundle, owned by one department."""

    code: str
    name: str
    department: str
    time_limit_days: int
    name_en: str = ""
    stage: str | None = None
    category: str | None = None
    statutory_limit_days: int | None = None
    materials: tuple[str, ...] = ()
    prerequisites: tuple[str, ...] = ()
    commitment_allowed: bool = False
    inspection: str | None = None
    essential: bool = True
    outputs: tuple[OutputDef, ...] = ()
    rules: Mapping[str, Any] | None = None  # a GoRules JSON Decision Model (checked by the rules engine at load)


@dataclass(frozen=True)
class BundleDef:
    """A published definition: the items a bundle packages, its materials, stages and rules."""

    code: str
    name: str
    items: tuple[ItemDef, ...]
    name_en: str = ""
    category: str = ""
    lead_department: str | None = None
    stages: tuple[StageDef, ...] = ()
    materials: tuple[MaterialDef, ...] = ()
    baseline: Mapping[str, int] = field(default_factory=dict)
    bundled: Mapping[str, int] = field(default_factory=dict)
    sample_data: bool = False
    note: str = ""
    questions: tuple[QuestionDef, ...] = ()

    def item(self, code: str) -> ItemDef:
        """Return the item with this code (KeyError if the bundle has none)."""
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)

    def to_dict(self) -> dict[str, Any]:
        """Return the definition as plain data (what the ``Published`` event records)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BundleDef:
        """Build a definition from plain data (a parsed file or a recorded event)."""
        items = tuple(
            ItemDef(
                **{
                    **item,
                    "materials": tuple(item.get("materials", ())),
                    "prerequisites": tuple(item.get("prerequisites", ())),
                    "outputs": tuple(OutputDef(**o) for o in item.get("outputs", ())),
                }
            )
            for item in data["items"]
        )
        return cls(
            **{
                **data,
                "items": items,
                "stages": tuple(StageDef(**s) for s in data.get("stages", ())),
                "materials": tuple(MaterialDef(**{**m, "licence_types": tuple(m.get("licence_types", ()))})
                                   for m in data.get("materials", ())),
                "questions": tuple(QuestionDef(**{**q, "choices": tuple(q.get("choices", ()))})
                                   for q in data.get("questions", ())),
                "baseline": dict(data.get("baseline") or {}),
                "bundled": dict(data.get("bundled") or {}),
            }
        )


def check_definition(bundle: BundleDef, known_departments: Iterable[str]) -> None:
    """Raise ``InvalidBundle`` naming the first field that breaks a rule of the definition."""
    departments = set(known_departments)
    _check_unique(bundle, "items", [i.code for i in bundle.items])
    _check_unique(bundle, "materials", [m.key for m in bundle.materials])
    _check_unique(bundle, "stages", [s.code for s in bundle.stages])
    _check_unique(bundle, "questions", [q.key for q in bundle.questions])
    for question in bundle.questions:
        where = f"questions[{question.key}]"
        if question.type not in QUESTION_TYPES:
            raise InvalidBundle(bundle.code, f"{where}.type", f"must be one of {QUESTION_TYPES}")
        if question.type == "choice" and not question.choices:
            raise InvalidBundle(bundle.code, f"{where}.choices", "a choice question needs its choices")
    if not bundle.items:
        raise InvalidBundle(bundle.code, "items", "a bundle needs at least one item")
    if bundle.lead_department is not None and bundle.lead_department not in departments:
        raise InvalidBundle(
            bundle.code, "lead_department", f"unknown department {bundle.lead_department!r}"
        )
    material_keys = {m.key for m in bundle.materials}
    stage_codes = {s.code for s in bundle.stages}
    item_codes = {i.code for i in bundle.items}
    for item in bundle.items:
        _check_item(bundle.code, item, departments, material_keys, stage_codes, item_codes)
    cycle = find_cycle({i.code: i.prerequisites for i in bundle.items})
    if cycle:
        path = " -> ".join(cycle)
        raise InvalidBundle(bundle.code, "items.prerequisites", f"prerequisite cycle: {path}")


def _check_unique(bundle: BundleDef, field_name: str, codes: list[str]) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise InvalidBundle(bundle.code, field_name, f"{code!r} is declared twice")
        seen.add(code)


def _check_item(
    bundle: str,
    item: ItemDef,
    departments: set[str],
    material_keys: set[str],
    stage_codes: set[str],
    item_codes: set[str],
) -> None:
    where = f"items[{item.code}]"
    if item.department not in departments:
        raise InvalidBundle(bundle, f"{where}.department", f"unknown department {item.department!r}")
    if item.time_limit_days <= 0:
        raise InvalidBundle(bundle, f"{where}.time_limit_days", "must be a positive number of days")
    if item.statutory_limit_days is not None and item.statutory_limit_days < item.time_limit_days:
        raise InvalidBundle(
            bundle, f"{where}.statutory_limit_days", "must not be shorter than time_limit_days"
        )
    for key in item.materials:
        if key not in material_keys:
            raise InvalidBundle(bundle, f"{where}.materials", f"material {key!r} is not declared")
    for code in item.prerequisites:
        if code not in item_codes:
            raise InvalidBundle(bundle, f"{where}.prerequisites", f"no item {code!r} in this bundle")
    if item.stage is not None and item.stage not in stage_codes:
        raise InvalidBundle(bundle, f"{where}.stage", f"stage {item.stage!r} is not declared")
    if item.inspection is not None and item.inspection not in INSPECTION_METHODS:
        raise InvalidBundle(bundle, f"{where}.inspection", f"must be one of {INSPECTION_METHODS}")


def find_cycle(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """Return one cycle of the prerequisite graph as a path of codes, or [] if it has none."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in graph.get(node, ()):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return []

    for start in graph:
        if start not in state and (found := visit(start)):
            return found
    return []


def prerequisite_order(bundle: BundleDef) -> list[str]:
    """Return item codes so that every item comes after its prerequisites."""
    order: list[str] = []
    done: set[str] = set()

    def place(code: str) -> None:
        if code in done:
            return
        done.add(code)
        for pre in bundle.item(code).prerequisites:
            place(pre)
        order.append(code)

    for item in bundle.items:
        place(item.code)
    return order


def check_answers(bundle: BundleDef, answers: Any) -> dict[str, Any]:
    """The answers to the bundle's questions, checked like any input: a JSON object of known keys, each of its
    question's type (a number is a JSON number, never a numeric string; a date an ISO date; a choice one of the
    choices), every question answered unless it says ``"required": false``. Raises ``InvalidValue`` naming
    the answer at fault (``answers.<key>``)."""
    answers = {} if answers is None else answers
    if not isinstance(answers, Mapping):
        raise _answer_error("answers", "answers are an object of question keys")
    questions = {q.key: q for q in bundle.questions}
    for key in answers:
        if key not in questions:
            raise _answer_error(f"answers.{key}", f"the bundle asks no question {key!r}")
    checked: dict[str, Any] = {}
    for question in bundle.questions:
        if question.key not in answers or answers[question.key] is None:
            if question.required:
                raise _answer_error(f"answers.{question.key}", f"answer {question.key!r} ({question.label})")
            continue
        value = answers[question.key]
        if not _of_type(question, value):
            wanted = f"one of {', '.join(question.choices)}" if question.type == "choice" else \
                {"number": "a number", "text": "text", "boolean": "true or false", "date": "an ISO date"}[question.type]
            raise _answer_error(f"answers.{question.key}", f"answer {question.key!r} must be {wanted}")
        checked[question.key] = value
    return checked


def _of_type(question: QuestionDef, value: Any) -> bool:
    if question.type == "number":  # a JSON number a decision can take: at most 2**53 either way
        return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value \
            and abs(value) <= MAX_NUMBER
    if question.type == "boolean":
        return isinstance(value, bool)
    if question.type == "choice":
        return isinstance(value, str) and value in question.choices
    if question.type == "date":
        if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
            return False
        try:
            date.fromisoformat(value)
        except ValueError:
            return False
        return len(value) == 10
    return isinstance(value, str) and 0 < len(value) <= 2000


def _answer_error(field_name: str, message: str) -> InvalidValue:
    error = InvalidValue(message)
    error.field = field_name
    return error
