"""The case application: the core plus the commands of each role."""

from __future__ import annotations

from application.cases.core import CaseCore, Saved
from application.cases.intake import IntakeCommands
from application.cases.review import ReviewCommands
from application.cases.supervision import SupervisionCommands

__all__ = ["CaseApplication", "Saved"]


class CaseApplication(IntakeCommands, ReviewCommands, SupervisionCommands, CaseCore):
    """Cases: opened at the single window, reviewed by departments, supervised, closed."""

    name = "Cases"
