"""The rules engine: GoRules JSON Decision Models checked and evaluated with zen-engine (``ZenRules``)."""

from infrastructure.rules.zen_rules import ZenRules

__all__ = ["ZenRules"]
