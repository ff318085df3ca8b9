"""``ZenRules``: the ``RulesEngine`` port on zen-engine (GoRules JSON Decision Model).

Checking (``problems``) never evaluates anything and never raises: a decision whose nodes are not all of
``ALLOWED_NODE_TYPES`` is refused before zen-engine sees it, so no function (JavaScript) or custom node is
ever created, let alone run. Expressions are compiled one by one so that a broken cell is named (zen-engine
itself accepts a table whose cell does not parse and then silently never matches that rule).

Note on zen-engine 2.1.3's Python binding: ``validate_unary_expression`` behaves like
``validate_expression`` (it refuses ``> 1``), so input cells of decision tables are checked with
``compile_unary_expression``, which parses them as zen-engine evaluates them.

Evaluation caches compiled decisions by ``rule_set_digest`` (an LRU, guarded by a lock; a compiled
decision is immutable and may be evaluated from several threads at once).
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import zen

from application.rules.engine import ALLOWED_NODE_TYPES, Evaluation, RuleEvaluationError, rule_set_digest

DEFAULT_CACHE_SIZE = 256
HIT_POLICIES = ("first", "collect")


def _engine_message(error: BaseException) -> str:
    """zen-engine's error text without the Rust stack backtrace it appends."""
    text = str(error).split("Stack backtrace:")[0].strip()
    try:
        parsed = json.loads(text)
    except ValueError:
        return " ".join(text.split())
    if isinstance(parsed, dict):
        source = parsed.get("source")
        if isinstance(source, dict):  # {"type": "InvalidGraph", "source": {...}}
            parsed = {**parsed, **source, "type": f"{parsed.get('type')}: {source.get('type')}"}
        parts = [str(parsed.get("type", "error"))]
        for key in ("nodeId", "nodeCount", "source"):
            if key in parsed and not isinstance(parsed[key], dict):
                parts.append(f"{key}={parsed[key]}")
        return " ".join(parts)
    return text


def _label(node: Mapping[str, Any], index: int) -> str:
    """How a message names a node: its id and name (or its position when it has neither)."""
    node_id, name = node.get("id"), node.get("name")
    if node_id is None and name is None:
        return f"node #{index}"
    return f"node {node_id!r} ({name!r})"


def _expression_problem(expression: Any, unary: bool) -> str | None:
    """Why ``expression`` does not compile (None if it does; an empty cell or value is allowed)."""
    if expression is None or (isinstance(expression, str) and not expression.strip()):
        return None
    if not isinstance(expression, str):
        return f"{expression!r} is not a string"
    if unary:
        try:
            zen.compile_unary_expression(expression)
        except Exception as error:  # zen raises RuntimeError carrying JSON
            return f"{expression!r}: {_engine_message(error)}"
        return None
    failure = zen.validate_expression(expression)
    return None if failure is None else f"{expression!r}: {failure['type']} {failure['source']}"


def _table_problems(label: str, content: Any) -> list[str]:
    if not isinstance(content, Mapping):
        return [f"{label}: decision table has no content object"]
    found: list[str] = []
    if content.get("hitPolicy") not in HIT_POLICIES:
        found.append(f"{label}: hitPolicy {content.get('hitPolicy')!r} is not one of {', '.join(HIT_POLICIES)}")
    columns: dict[str, bool] = {}  # column id -> is a unary (input with a field) cell
    for kind in ("inputs", "outputs"):
        entries = content.get(kind)
        if not isinstance(entries, list):
            found.append(f"{label}: {kind} is not a list")
            continue
        for column in entries:
            if not isinstance(column, Mapping) or not isinstance(column.get("id"), str):
                found.append(f"{label}: a column of {kind} has no id")
                continue
            if kind == "outputs" and not (isinstance(column.get("field"), str) and column["field"]):
                found.append(f"{label}: output column {column['id']!r} has no field")
            columns[column["id"]] = kind == "inputs" and bool(column.get("field"))
    rules = content.get("rules")
    if not isinstance(rules, list):
        return [*found, f"{label}: rules is not a list"]
    seen: set[str] = set()
    for position, rule in enumerate(rules):
        if not isinstance(rule, Mapping):
            found.append(f"{label}: rule #{position} is not an object")
            continue
        rule_id = rule.get("_id")
        if not isinstance(rule_id, str) or not rule_id:
            found.append(f"{label}: rule #{position} has no _id")
        elif rule_id in seen:
            found.append(f"{label}: rule id {rule_id!r} is used twice")
        else:
            seen.add(rule_id)
        for column_id, unary in columns.items():
            failure = _expression_problem(rule.get(column_id), unary)
            if failure:
                found.append(f"{label}: rule {rule_id!r}, column {column_id!r}: {failure}")
    return found


def _expression_node_problems(label: str, content: Any) -> list[str]:
    expressions = content.get("expressions") if isinstance(content, Mapping) else None
    if not isinstance(expressions, list):
        return [f"{label}: expressions is not a list"]
    found = []
    for position, entry in enumerate(expressions):
        if not isinstance(entry, Mapping) or not isinstance(entry.get("key"), str) or not entry["key"]:
            found.append(f"{label}: expression #{position} has no key")
            continue
        if not isinstance(entry.get("value"), str) or not entry["value"].strip():
            found.append(f"{label}: expression {entry['key']!r} has no value")
            continue
        failure = _expression_problem(entry["value"], unary=False)
        if failure:
            found.append(f"{label}: expression {entry['key']!r}: {failure}")
    return found


def _switch_problems(label: str, content: Any) -> list[str]:
    statements = content.get("statements") if isinstance(content, Mapping) else None
    if not isinstance(statements, list):
        return [f"{label}: statements is not a list"]
    found = []
    for position, statement in enumerate(statements):
        if not isinstance(statement, Mapping):
            found.append(f"{label}: statement #{position} is not an object")
            continue
        failure = _expression_problem(statement.get("condition"), unary=False)
        if failure:
            found.append(f"{label}: statement {statement.get('id')!r}: {failure}")
    return found


def _problems(engine: zen.ZenEngine, decision: Any) -> list[str]:
    if not isinstance(decision, Mapping):
        return ["the decision is not a JSON object"]
    nodes, edges = decision.get("nodes"), decision.get("edges")
    if not isinstance(nodes, list):
        return ["the decision has no list of nodes"]
    if not isinstance(edges, list):
        return ["the decision has no list of edges"]
    found: list[str] = []
    types: list[Any] = []
    for index, node in enumerate(nodes):
        if not isinstance(node, Mapping):
            found.append(f"node #{index} is not an object")
            continue
        label, node_type = _label(node, index), node.get("type")
        types.append(node_type)
        if node_type not in ALLOWED_NODE_TYPES:
            found.append(f"{label}: node type {node_type!r} is not allowed "
                         f"(only {', '.join(ALLOWED_NODE_TYPES)}; no code is evaluated)")
        elif node_type == "decisionTableNode":
            found += _table_problems(label, node.get("content"))
        elif node_type == "expressionNode":
            found += _expression_node_problems(label, node.get("content"))
        elif node_type == "switchNode":
            found += _switch_problems(label, node.get("content"))
    for required in ("inputNode", "outputNode"):
        if required not in types:
            found.append(f"the decision has no {required}")
    if found:
        return found  # never hand zen-engine a decision with a refused node
    try:
        compiled = engine.create_decision(json.dumps(decision, ensure_ascii=False))
        compiled.validate()
    except (TypeError, ValueError) as error:
        return [f"the decision is not JSON: {error}"]
    except Exception as error:  # zen raises RuntimeError carrying JSON
        return [f"zen-engine refuses the decision: {_engine_message(error)}"]
    return []


def _matched(decision: Mapping[str, Any], trace: Mapping[str, Any]) -> list[str]:
    """The ``_id``s of the decision-table rules that matched, in the order the nodes ran."""
    tables = {node.get("id") for node in decision["nodes"] if node.get("type") == "decisionTableNode"}
    matched: list[str] = []
    for step in sorted(trace.values(), key=lambda step: step.get("order", 0)):
        if step.get("id") not in tables:
            continue
        data = step.get("traceData")
        for hit in data if isinstance(data, list) else [data] if data else []:
            rule = hit.get("rule") if isinstance(hit, Mapping) else None
            if isinstance(rule, Mapping) and isinstance(rule.get("_id"), str):
                matched.append(rule["_id"])
    return matched


class ZenRules:
    """Checks and evaluates GoRules decisions with zen-engine; implements ``RulesEngine``."""

    def __init__(self, cache_size: int = DEFAULT_CACHE_SIZE) -> None:
        self._engine = zen.ZenEngine()
        self._cache: OrderedDict[str, zen.ZenDecision] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def problems(self, decision: Mapping[str, Any]) -> list[str]:
        try:
            return _problems(self._engine, decision)
        except Exception as error:  # a shape no check above foresaw: still a problem, never a crash
            return [f"the decision cannot be checked: {type(error).__name__}: {error}"]

    def compiled(self, decision: Mapping[str, Any]) -> zen.ZenDecision:
        """The decision as zen-engine compiled it, from the cache; raises ``RuleEvaluationError`` if it has
        problems."""
        try:
            digest = rule_set_digest(decision)
        except (TypeError, ValueError) as error:
            raise RuleEvaluationError(f"the decision is not JSON: {error}") from None
        with self._lock:
            found = self._cache.get(digest)
            if found is not None:
                self._cache.move_to_end(digest)
                return found
        problems = self.problems(decision)
        if problems:
            raise RuleEvaluationError("; ".join(problems))
        compiled = self._engine.create_decision(json.dumps(decision, ensure_ascii=False))
        with self._lock:
            self._cache[digest] = compiled
            self._cache.move_to_end(digest)
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return compiled

    def cached(self) -> int:
        """How many compiled decisions the cache holds."""
        with self._lock:
            return len(self._cache)

    def evaluate(self, decision: Mapping[str, Any], inputs: Mapping[str, Any]) -> Evaluation:
        compiled = self.compiled(decision)
        try:
            response = compiled.evaluate(dict(inputs), {"trace": True})
        except Exception as error:  # zen raises RuntimeError carrying JSON
            raise RuleEvaluationError(f"zen-engine could not evaluate the decision: "
                                      f"{_engine_message(error)}") from None
        outputs = response.get("result")
        if not isinstance(outputs, dict):
            raise RuleEvaluationError(f"the decision's output is not an object: {outputs!r}")
        return Evaluation(outputs=outputs, matched=_matched(decision, response.get("trace") or {}))
