"""The case application: the core plus the commands of each role."""

from __future__ import annotations

from application.case_core import CaseCore, Saved
from application.intake import IntakeCommands
from application.review import ReviewCommands
from application.supervision import SupervisionCommands

__all__ = ["CaseApplication", "Saved"]


class CaseApplication(IntakeCommands, ReviewCommands, SupervisionCommands, CaseCore):
    """Cases: opened at the single window, reviewed by departments, supervised, closed."""

    name = "Cases"
