"""The rules engine the use cases ask for: GoRules JSON Decision Models, checked when a bundle is loaded and
evaluated on a case's facts. Implemented by ``infrastructure.rules`` (zen-engine); no code is ever evaluated.

A decision's input is ``{"answers", "applicant", "materials_complete", "credit"}``; its output may hold
``applies`` (false: the item is not needed for this case), ``findings`` (texts for reviewers and the
applicant), ``auto_approve`` (true: the system may approve it on commitment) and any further fields.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

# The only node types a decision may use: no function or custom-code node is ever loaded.
ALLOWED_NODE_TYPES = ("inputNode", "outputNode", "decisionTableNode", "expressionNode", "switchNode")


@dataclass(frozen=True)
class Evaluation:
    """What a decision gave: its output object and the ids of the table rules that matched."""

    outputs: dict[str, Any]
    matched: list[str] = field(default_factory=list)


class RulesEngine(Protocol):
    """Checks and evaluates decisions."""

    def problems(self, decision: Mapping[str, Any]) -> list[str]:
        """Why this decision cannot be used, each naming the node at fault (a node type other than
        ``ALLOWED_NODE_TYPES``, a graph or expression the engine refuses); [] if it can."""
        ...

    def evaluate(self, decision: Mapping[str, Any], inputs: Mapping[str, Any]) -> Evaluation:
        """Evaluate the decision on ``inputs``; raises ``RuleEvaluationError`` if it cannot."""
        ...


def rule_set_digest(decision: Mapping[str, Any]) -> str:
    """The sha256 of a decision's canonical JSON: the version of the rule set an evaluation records."""
    return hashlib.sha256(json.dumps(decision, sort_keys=True, separators=(",", ":"),
                                     ensure_ascii=False).encode()).hexdigest()


def decision_problems(decision: Any) -> list[str]:
    """What makes a decision unusable before any engine looks at it: not a graph of nodes and edges, or a node of
    a type other than ``ALLOWED_NODE_TYPES`` (a function or custom-code node), each naming the node."""
    if not isinstance(decision, Mapping):
        return ["a decision is an object with nodes and edges"]
    nodes, edges = decision.get("nodes"), decision.get("edges", [])
    if not isinstance(nodes, list) or not nodes or not isinstance(edges, list):
        return ["a decision has a list of nodes and a list of edges"]
    problems = []
    for index, node in enumerate(nodes):
        if not isinstance(node, Mapping):
            problems.append(f"node {index} is not an object")
            continue
        kind, name = node.get("type"), f"node {node.get('id', index)!r} ({node.get('name', '')})"
        if kind not in ALLOWED_NODE_TYPES:
            problems.append(f"{name} is a {kind!r}: only {', '.join(ALLOWED_NODE_TYPES)} are allowed, no code")
    types = {n.get("type") for n in nodes if isinstance(n, Mapping)}
    if not problems and not {"inputNode", "outputNode"} <= types:
        problems.append("a decision needs an input node and an output node")
    return problems


class RuleEvaluationError(Exception):
    """A decision could not be evaluated: it has problems (see ``RulesEngine.problems``), or the engine
    failed on these inputs (an expression met a value it cannot use). The message says why."""
